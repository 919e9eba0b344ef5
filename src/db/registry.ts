// The data-class registry: every column the migrations create, with its class and why.
//   published   — someone chose to publish it; anyone may read it; it goes into archives.
//   operational — what the software needs to run; says nothing about a person.
//   letter      — a letter to a cell: ciphertext to the cell key, which the server cannot read, held
//                 only until the cell marks it handled or its retention passes; never published.
//   ephemeral   — never in SQL. (Sessions, challenges, private keys and rate limits live in
//                 src/ephemeral; this class is listed so the /privacy page can say so.)
// tests/db/registry.test.ts fails on any column of the migrated schema missing here.
export type DataClass = 'published' | 'operational' | 'letter' | 'ephemeral'
/** A column's class and why; a third element names the one dialect that has it (PostgreSQL's stored search words). */
export type ColumnEntry = readonly [DataClass, string] | readonly [DataClass, string, 'sqlite' | 'postgres']
/** A table of one dialect only (SQLite's full-text index); tests/db/registry.test.ts checks it there. */
export type TableEntry = { about: string; columns: Record<string, ColumnEntry>; only?: 'sqlite' | 'postgres' }

/**
 * SQLite's FTS5 index over one published text (migration 2026120601): the table and the shadow
 * tables FTS5 keeps it in. It holds the words of that text, and nothing else; triggers delete a
 * row's words with the row, and FTS5's secure-delete takes them out of the index at once, so the
 * purge's checkpoint leaves them in no file. (PostgreSQL's are GIN indexes over post.body_vector and
 * thread.title_vector.)
 */
function searchIndex(name: string, over: string): Record<string, TableEntry> {
  const about = `SQLite only: the full-text index of ${over}, for search.`
  return {
    [name]: { only: 'sqlite', about: `${about} Its text is read from ${over} itself (external content): no copy.`, columns: { [over.split('.')[1]!]: ['published', `the words of ${over}, for search`] } },
    [`${name}_data`]: { only: 'sqlite', about: `${about} Its segments.`, columns: { id: ['operational', 'segment block identity'], block: ['published', `the words of ${over} and the rows they are in, forgotten with the row`] } },
    [`${name}_idx`]: { only: 'sqlite', about: `${about} Where each segment’s pages start.`, columns: { segid: ['operational', 'segment'], term: ['published', `a leading word (or its start) of a page of the index of ${over}`], pgno: ['operational', 'page number'] } },
    [`${name}_config`]: { only: 'sqlite', about: `${about} Its settings (secure-delete on).`, columns: { k: ['operational', 'setting name'], v: ['operational', 'setting value'] } },
  }
}

export const registry: Record<string, TableEntry> = {
  cell: {
    about: 'A group with its own line, roster and boards.',
    columns: {
      id: ['operational', 'row identity; orders cells'],
      slug: ['published', 'the cell’s address, chosen by the operator'],
      name: ['published', 'the cell’s name, shown on its page'],
      created_at: ['published', 'coarse time the cell was created'],
      last_question_number: ['operational', 'the number the cell’s latest question got, so the next one counts on from it; the same as that question’s published number'],
      flood_exempt_roster: ['published', 'whether keys on the roster post without a check while a board is in flood; set by the operator, who is logged in the decision log'],
      key_fingerprint: ['published', 'the cell key’s fingerprint, shown on the cell page to check out of band (empty: the cell takes no letters)'],
      key_armored: ['published', 'the cell’s public key (/c/CELL/key.asc), to which letters are encrypted; its private key is never on the server'],
      letter_retention_days: ['operational', 'how long a letter not marked handled is kept before it is forgotten (default 30 days)'],
      tiers: ['published', 'the cell’s need-to-know tiers, lowest first (default member, voter); set by the operator, who is logged in the decision log'],
      vote_tier: ['published', 'the least tier whose keys vote on line questions (default voter)'],
      lang: ['published', 'the cell’s language, in which its pages, feeds and archive are written unless a reader picks another; set by the operator, who is logged in the decision log'],
      inbox_tier: ['published', 'the least tier whose keys see and download the letters waiting (default voter)'],
      key_rotation_due: ['published', 'coarse time since when the cell key ought to be rotated, because a key was removed from the roster (empty: it need not be); the cell page asks the operator to rotate it'],
    },
  },
  cell_key_transition: {
    about: 'Every earlier key of a cell, with the statement it clearsigned naming the key that replaced it, so anyone can check with gpg --verify that each new key was named by the one before.',
    columns: {
      id: ['operational', 'row identity; orders the transitions'],
      cell_id: ['published', 'the cell whose key changed'],
      number: ['published', 'the transition’s number in its cell: its address'],
      old_fingerprint: ['published', 'the fingerprint of the key replaced'],
      new_fingerprint: ['published', 'the fingerprint of the key that replaced it, as the statement names it'],
      old_armored: ['published', 'the replaced public key, so the statement can be checked offline'],
      statement: ['published', 'the text the old key clearsigned naming the new key, with its signature'],
      created_at: ['published', 'coarse time of the rotation'],
    },
  },
  line: {
    about: 'Each version of a cell’s line.',
    columns: {
      id: ['operational', 'row identity'],
      cell_id: ['published', 'which cell the line belongs to'],
      version: ['published', 'the line’s version number'],
      created_at: ['published', 'coarse time the version took effect'],
      question_id: ['published', 'the decision that made this version (empty: set by the operator at the start)'],
    },
  },
  principle: {
    about: 'The numbered principles of one line version.',
    columns: {
      id: ['operational', 'row identity'],
      line_id: ['published', 'which line version the principle belongs to'],
      number: ['published', 'the principle’s number, cited by line questions'],
      text: ['published', 'the principle as stated'],
    },
  },
  board: {
    about: 'A cell’s boards.',
    columns: {
      id: ['operational', 'row identity'],
      cell_id: ['published', 'which cell the board belongs to'],
      slug: ['published', 'the board’s address'],
      name: ['published', 'the board’s name'],
      description: ['published', 'a line shown under the name'],
      read_tier: ['published', 'the least tier of the cell that may read it (empty: anyone)'],
      post_tier: ['published', 'the least tier of the cell that may post on it (empty: any identity)'],
      retention_days: ['published', 'threads older than this are forgotten (empty: kept)'],
      created_at: ['published', 'coarse time the board was created'],
      last_thread_number: ['operational', 'the number the board’s latest thread got; numbers are never reused, and count this board’s threads only'],
      flood: ['published', 'flood mode: auto (when its posts per minute pass the threshold), on or off; set by the operator, who is logged in the decision log'],
      indexable: ['published', 'whether the board asks search engines to index it (robots.txt and its pages say so; never for a board only a tier reads); set by the operator, who is logged in the decision log'],
    },
  },
  public_key: {
    about: 'OpenPGP public keys that signed published content or hold a roster role; forgotten when they no longer do.',
    columns: {
      id: ['operational', 'row identity'],
      fingerprint: ['published', 'the key’s fingerprint; the pseudonym is derived from it'],
      armored: ['published', 'the public key, so anyone can check signatures offline'],
      created_at: ['published', 'coarse time the key first signed something published'],
    },
  },
  roster_entry: {
    about: 'The keys on a cell’s roster, each at one of its tiers.',
    columns: {
      id: ['operational', 'row identity'],
      cell_id: ['published', 'the cell'],
      key_id: ['published', 'the key on the roster'],
      tier: ['published', 'the key’s tier in the cell (one of the cell’s tiers)'],
      created_at: ['published', 'coarse time the key was put on the roster or moved to its tier'],
    },
  },
  thread: {
    about: 'A board’s threads.',
    columns: {
      id: ['operational', 'row identity, never published (it counts every board’s threads)'],
      board_id: ['published', 'the board the thread is on'],
      number: ['published', 'the thread’s number on its board: its address, and the "thread:" line of its signed posts'],
      title: ['published', 'the title its first poster gave'],
      created_at: ['published', 'coarse time of the first post'],
      post_count: ['operational', 'number of posts, kept for paging (not per key)'],
      last_number: ['operational', 'the number the latest post got; numbers are never reused'],
      last_post_id: ['operational', 'orders threads by last activity without exact times'],
      last_post_at: ['published', 'coarse time of the latest post'],
      title_vector: ['published', 'PostgreSQL only: the words of the title without their positions, computed from it (a generated column), for search; no statistics are kept on it', 'postgres'],
    },
  },
  post: {
    about: 'Posts, each signed by a pseudonymous key.',
    columns: {
      id: ['operational', 'row identity; orders posts'],
      thread_id: ['published', 'the thread the post is in'],
      number: ['published', 'the post’s number in its thread (>>N links)'],
      key_id: ['published', 'the key that signed it (shown as a pseudonym)'],
      signing: ['published', 'how it was signed'],
      body_source: ['published', 'the text as the poster wrote it'],
      body_html: ['published', 'the text rendered once at write time'],
      signed_text: ['published', 'the OpenPGP cleartext-signed message, for gpg --verify'],
      created_at: ['published', 'coarse time of posting'],
      body_vector: ['published', 'PostgreSQL only: the words of body_source without their positions, computed from it (a generated column), for search; no statistics are kept on it', 'postgres'],
      board_id: ['published', 'PostgreSQL only: the board of the post’s thread, filled by a trigger, so a search keeps to readable boards without a lookup per match', 'postgres'],
    },
  },
  post_reference: {
    about: 'Which earlier post of its thread each post quotes with >>N, read from its published text when it is written, so each post lists its replies; forgotten with either post.',
    columns: {
      post_id: ['published', 'the post whose text says >>N'],
      quoted_post_id: ['published', 'the post N it quotes, which lists it as a reply'],
    },
  },
  revoked_key: {
    about: 'Keys revoked here by their owner’s revocation certificate; they can no longer log in or sign.',
    columns: {
      id: ['operational', 'row identity'],
      fingerprint: ['published', 'the revoked key’s fingerprint'],
      created_at: ['published', 'coarse time the revocation was received'],
    },
  },
  question: {
    about: 'Line questions put to a cell’s voters, and their decisions. Who raised a question is not kept.',
    columns: {
      id: ['operational', 'row identity, never published (it counts every cell’s questions)'],
      cell_id: ['published', 'the cell asked'],
      number: ['published', 'the question’s number in its cell: its address, and the "question:" line of its ballots'],
      kind: ['published', 'what is asked: remove a post, amend the line, admit or remove a key, recognise or withdraw a fraternal cell, publish an answer to a letter'],
      payload: ['published', 'what the question is about (the post’s place and the principle as it read, the amendment, the key, the letter as the cell would publish it with its answer, board, reference and, once published, thread…); of a post or an answer for a members-only board, only to those who may read that board'],
      argument: ['published', 'the argument given when it was raised; for a post on a members-only board, only to those who may read that board'],
      line_version: ['published', 'the version of the line the question is asked under'],
      eligible: ['published', 'how many voters the roster had when it opened'],
      quorum: ['published', 'how many ballots make a decision'],
      threshold: ['published', 'what carries it: more yes than no, or two thirds'],
      opened_at: ['published', 'coarse time it opened'],
      deadline: ['published', 'when it closes at the latest'],
      status: ['published', 'open or closed'],
      outcome: ['published', 'adopted, rejected, or no quorum'],
      yes: ['published', 'the tally, when closed'],
      no: ['published', 'the tally, when closed'],
      abstain: ['published', 'the tally, when closed'],
      closed_at: ['published', 'coarse time it closed'],
    },
  },
  eligible_voter: {
    about: 'The roster’s voters at the moment a question opened: who may vote on it.',
    columns: {
      id: ['operational', 'row identity'],
      question_id: ['published', 'the question'],
      key_id: ['published', 'a voter’s key'],
    },
  },
  ballot: {
    about: 'Signed ballots; a voter’s later ballot replaces the earlier one until the question closes. Choices are shown only after it closes.',
    columns: {
      id: ['operational', 'row identity'],
      question_id: ['published', 'the question'],
      key_id: ['published', 'the voter’s key'],
      choice: ['published', 'yes, no or abstain'],
      signing: ['published', 'how it was signed'],
      signed_text: ['published', 'the OpenPGP signature over the canonical ballot text, checkable offline'],
      cast_at: ['published', 'coarse time it was cast'],
    },
  },
  fraternal_cell: {
    about: 'Other cells this cell recognises, by a decision.',
    columns: {
      id: ['operational', 'row identity'],
      cell_id: ['published', 'the recognising cell'],
      name: ['published', 'the other cell’s name'],
      location: ['published', 'where it can be found (its address)'],
      fingerprint: ['published', 'its cell key’s fingerprint'],
      armored: ['published', 'its cell key'],
      question_id: ['published', 'the decision that recognised it'],
      created_at: ['published', 'coarse time of recognition'],
    },
  },
  operator_action: {
    about: 'What the operator did from the command line, published in the cell’s decision log so nothing changes silently.',
    columns: {
      id: ['operational', 'row identity; orders the log'],
      cell_id: ['published', 'the cell concerned'],
      action: ['published', 'what was done'],
      created_at: ['published', 'coarse time it was done'],
    },
  },
  letter: {
    about: 'Letters written to a cell, held as ciphertext to the cell key until the cell marks them handled or they pass its retention; then hard-deleted and purged. Only how many wait is shown, and only to those who read the cell’s inbox.',
    columns: {
      id: ['operational', 'row identity; orders the inbox'],
      cell_id: ['letter', 'the cell written to'],
      reference: ['letter', 'a random reference the writer was given, so a published answer can name it; forgotten with the letter'],
      ciphertext: ['letter', 'the letter, padded to a size bucket and encrypted to the cell key (in the browser, or by the server on receipt): an OpenPGP message the server cannot read'],
      received_at: ['letter', 'coarse time it arrived, for the retention'],
    },
  },
  ...searchIndex('post_body_search', 'post.body_source'),
  ...searchIndex('thread_title_search', 'thread.title'),
  kysely_migration: {
    about: 'Which migrations have run.',
    columns: {
      name: ['operational', 'migration name'],
      timestamp: ['operational', 'when the operator’s server applied it'],
    },
  },
  kysely_migration_lock: {
    about: 'Keeps two processes from migrating at once.',
    columns: {
      id: ['operational', 'lock name'],
      is_locked: ['operational', 'lock state'],
    },
  },
}

/** What never reaches SQL, for the /privacy page. */
export const ephemeral: readonly (readonly [string, string])[] = [
  ['sessions', 'a random id in an HttpOnly cookie, mapped in memory to the key it proved; expires when idle'],
  ['private keys of disposable identities', 'held only in the session, so the server can sign for you; burning the identity forgets it'],
  ['rate limits on raising questions', 'a counter per key, in memory, forgotten after an hour'],
  ['login challenges', 'a random nonce to sign, single-use, forgotten after 10 minutes'],
  ['form tokens (CSRF)', 'derived from a random cookie and a secret that lives only in memory'],
  ['posts per minute on each board (flood mode)', 'one counter per board, not per key, forgotten after a minute; whether the board is in flood, forgotten when the flood has been over for a while (10 minutes by default)'],
  ['the check a new identity costs', 'a solved proof of work is remembered until its challenge expires (10 minutes), so it pays once; a picture’s letters and its question’s answer (as MACs) until answered once, or 10 minutes'],
]

/** What is never collected at all. */
export const neverKept: readonly string[] = [
  'IP addresses (not stored, not logged, not even in error logs)',
  'user agents and referrers',
  'access logs or any history of who read what',
  'precise times: published times are rounded; order comes from ids',
]
