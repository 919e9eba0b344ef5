// The data-class registry: every column the migrations create, and its class.
//   published   — someone chose to publish it; anyone may read it; it goes into archives.
//   operational — what the software needs to run; says nothing about a person.
//   letter      — a letter to a cell: ciphertext to the cell key, which the server cannot read, held
//                 only until the cell marks it handled or its retention passes; never published.
//   ephemeral   — never in SQL. (Sessions, challenges, private keys and rate limits live in
//                 src/ephemeral; this class is listed so the /privacy page can say so.)
// tests/db/registry.test.ts fails on any column of the migrated schema missing here.
//
// Why each table and column exists, as the /privacy page says it, is in the catalog area
// `privacy` (src/i18n/messages/<language>/privacy.json), under "<table>__about" and
// "<table>__<column>" (src/services/privacy.ts, privacyKeys); the same test fails on a column
// whose sentence is missing there, and tests/unit/catalogs.test.ts on one missing in a language.
export type DataClass = 'published' | 'operational' | 'letter' | 'ephemeral'
/** A column's class; a second element names the one dialect that has it (PostgreSQL's stored search words). */
export type ColumnEntry = readonly [DataClass] | readonly [DataClass, 'sqlite' | 'postgres']
/**
 * A table's columns. `only`: a table of one dialect only (SQLite's full-text index);
 * tests/db/registry.test.ts checks it there. `says`: its sentences are shared with other tables,
 * under "<says.key>__about" and "<says.key>__<column>", with {over} filled in.
 */
export type TableEntry = { columns: Record<string, ColumnEntry>; only?: 'sqlite' | 'postgres'; says?: { key: string; over: string } }

/**
 * SQLite's FTS5 index over one published text (migration 2026120601): the table and the shadow
 * tables FTS5 keeps it in. It holds the words of that text, and nothing else; triggers delete a
 * row's words with the row, and FTS5's secure-delete takes them out of the index at once, so the
 * purge's checkpoint leaves them in no file. (PostgreSQL's are GIN indexes over post.body_vector and
 * thread.title_vector.) Its sentences are the catalog's "fts…" keys, said of `over`.
 */
function searchIndex(name: string, over: string): Record<string, TableEntry> {
  return {
    [name]: { only: 'sqlite', says: { key: 'fts', over }, columns: { [over.split('.')[1]!]: ['published'] } },
    [`${name}_data`]: { only: 'sqlite', says: { key: 'fts_data', over }, columns: { id: ['operational'], block: ['published'] } },
    [`${name}_idx`]: { only: 'sqlite', says: { key: 'fts_idx', over }, columns: { segid: ['operational'], term: ['published'], pgno: ['operational'] } },
    [`${name}_config`]: { only: 'sqlite', says: { key: 'fts_config', over }, columns: { k: ['operational'], v: ['operational'] } },
  }
}

export const registry: Record<string, TableEntry> = {
  cell: {
    columns: {
      id: ['operational'],
      slug: ['published'],
      name: ['published'],
      created_at: ['published'],
      last_question_number: ['operational'],
      flood_exempt_roster: ['published'],
      key_fingerprint: ['published'],
      key_armored: ['published'],
      letter_retention_days: ['operational'],
      tiers: ['published'],
      vote_tier: ['published'],
      lang: ['published'],
      inbox_tier: ['published'],
      key_rotation_due: ['published'],
    },
  },
  cell_key_transition: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      number: ['published'],
      old_fingerprint: ['published'],
      new_fingerprint: ['published'],
      old_armored: ['published'],
      statement: ['published'],
      created_at: ['published'],
    },
  },
  line: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      version: ['published'],
      created_at: ['published'],
      question_id: ['published'],
    },
  },
  principle: {
    columns: {
      id: ['operational'],
      line_id: ['published'],
      number: ['published'],
      text: ['published'],
    },
  },
  board: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      slug: ['published'],
      name: ['published'],
      description: ['published'],
      read_tier: ['published'],
      post_tier: ['published'],
      retention_days: ['published'],
      created_at: ['published'],
      last_thread_number: ['operational'],
      thread_count: ['operational'],
      flood: ['published'],
      indexable: ['published'],
    },
  },
  public_key: {
    columns: {
      id: ['operational'],
      fingerprint: ['published'],
      armored: ['published'],
      created_at: ['published'],
    },
  },
  roster_entry: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      key_id: ['published'],
      tier: ['published'],
      created_at: ['published'],
    },
  },
  thread: {
    columns: {
      id: ['operational'],
      board_id: ['published'],
      number: ['published'],
      title: ['published'],
      created_at: ['published'],
      post_count: ['operational'],
      last_number: ['operational'],
      last_post_id: ['operational'],
      last_post_at: ['published'],
      opening: ['published'],
      title_vector: ['published', 'postgres'],
    },
  },
  post: {
    columns: {
      id: ['operational'],
      thread_id: ['published'],
      number: ['published'],
      key_id: ['published'],
      signing: ['published'],
      body_source: ['published'],
      body_html: ['published'],
      signed_text: ['published'],
      created_at: ['published'],
      body_vector: ['published', 'postgres'],
      board_id: ['published', 'postgres'],
    },
  },
  post_reference: {
    columns: {
      post_id: ['published'],
      quoted_post_id: ['published'],
    },
  },
  revoked_key: {
    columns: {
      id: ['operational'],
      fingerprint: ['published'],
      created_at: ['published'],
    },
  },
  question: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      number: ['published'],
      kind: ['published'],
      payload: ['published'],
      argument: ['published'],
      line_version: ['published'],
      eligible: ['published'],
      quorum: ['published'],
      threshold: ['published'],
      opened_at: ['published'],
      deadline: ['published'],
      status: ['published'],
      outcome: ['published'],
      yes: ['published'],
      no: ['published'],
      abstain: ['published'],
      closed_at: ['published'],
    },
  },
  eligible_voter: {
    columns: {
      id: ['operational'],
      question_id: ['published'],
      key_id: ['published'],
    },
  },
  ballot: {
    columns: {
      id: ['operational'],
      question_id: ['published'],
      key_id: ['published'],
      choice: ['published'],
      signing: ['published'],
      signed_text: ['published'],
      cast_at: ['published'],
    },
  },
  fraternal_cell: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      name: ['published'],
      location: ['published'],
      fingerprint: ['published'],
      armored: ['published'],
      question_id: ['published'],
      created_at: ['published'],
    },
  },
  operator_action: {
    columns: {
      id: ['operational'],
      cell_id: ['published'],
      action: ['published'],
      created_at: ['published'],
    },
  },
  letter: {
    columns: {
      id: ['operational'],
      cell_id: ['letter'],
      reference: ['letter'],
      ciphertext: ['letter'],
      received_at: ['letter'],
    },
  },
  ...searchIndex('post_body_search', 'post.body_source'),
  ...searchIndex('thread_title_search', 'thread.title'),
  kysely_migration: {
    columns: {
      name: ['operational'],
      timestamp: ['operational'],
    },
  },
  kysely_migration_lock: {
    columns: {
      id: ['operational'],
      is_locked: ['operational'],
    },
  },
}

/**
 * What never reaches SQL, for the /privacy page: each is the catalog's "ephemeral__<name>" (what)
 * and "ephemeral__<name>__why".
 */
export const ephemeral: readonly string[] = ['sessions', 'private_keys', 'question_limits', 'login_limits', 'challenges', 'form_tokens', 'flood_counters', 'identity_check', 'own_pages', 'submissions']

/** What is never collected at all: each is the catalog's "never__<name>". */
export const neverKept: readonly string[] = ['ip_addresses', 'user_agents', 'access_logs', 'precise_times']
