import type { Db } from './connect.ts'

export function findKey(db: Db, fingerprint: string) {
  return db.selectFrom('public_key').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirst()
}

/**
 * Whether a key is published to anyone: it signed a post on a board anyone reads, or holds a role
 * a cell publishes (its roster, a question's eligible voters, a ballot, open questions' too: their
 * pages show them). If not, the read tiers (with their cells) of the boards it signed posts on: only
 * their readers may see it. An archive publishes less (db/archive.ts publishedKeysAfter: one cell,
 * closed questions only): it is the cell's record, not a reader's view.
 */
export async function keyPublication(db: Db, keyId: number): Promise<{ toAnyone: boolean; boards: { cell_id: number; read_tier: string | null }[] }> {
  const held = await db
    .selectFrom('public_key as k')
    .select('k.id')
    .where('k.id', '=', keyId)
    .where((eb) =>
      eb.or([
        eb.exists(eb.selectFrom('post').innerJoin('thread', 'thread.id', 'post.thread_id').innerJoin('board', 'board.id', 'thread.board_id').select('post.id').whereRef('post.key_id', '=', 'k.id').where('board.read_tier', 'is', null)),
        eb.exists(eb.selectFrom('roster_entry').select('roster_entry.id').whereRef('roster_entry.key_id', '=', 'k.id')),
        eb.exists(eb.selectFrom('eligible_voter').select('eligible_voter.id').whereRef('eligible_voter.key_id', '=', 'k.id')),
        eb.exists(eb.selectFrom('ballot').select('ballot.id').whereRef('ballot.key_id', '=', 'k.id')),
      ]),
    )
    .executeTakeFirst()
  if (held) return { toAnyone: true, boards: [] }
  const boards = await db
    .selectFrom('board')
    .select(['board.cell_id', 'board.read_tier'])
    .distinct()
    .where((eb) => eb.exists(eb.selectFrom('post').innerJoin('thread', 'thread.id', 'post.thread_id').select('post.id').whereRef('thread.board_id', '=', 'board.id').where('post.key_id', '=', keyId)))
    .execute()
  return { toAnyone: false, boards }
}

/** The key's row id, inserting the key the first time it signs something published. */
export async function ensureKey(db: Db, key: { fingerprint: string; armored: string; createdAt: string }): Promise<number> {
  // Read first: a key posts many times and is inserted once, so the usual cost is one statement.
  const found = await db.selectFrom('public_key').select('id').where('fingerprint', '=', key.fingerprint).executeTakeFirst()
  if (found) return found.id
  // Insert-or-ignore, then read if another did insert it: two first posts by one key at once
  // (PostgreSQL runs them truly concurrently) must not collide on the unique fingerprint.
  const inserted = await db
    .insertInto('public_key')
    .values({ fingerprint: key.fingerprint, armored: key.armored, created_at: key.createdAt })
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted) return inserted.id
  const row = await db.selectFrom('public_key').select('id').where('fingerprint', '=', key.fingerprint).executeTakeFirstOrThrow()
  return row.id
}

/**
 * Forget public keys that no longer sign anything published and hold no roster role (optionally
 * only among some keys). Returns how many were forgotten.
 */
export async function deleteOrphanKeys(db: Db, among?: number[]): Promise<number> {
  if (among && among.length === 0) return 0
  let q = db
    .deleteFrom('public_key')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('post').select('post.id').whereRef('post.key_id', '=', 'public_key.id'))))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('roster_entry').select('roster_entry.id').whereRef('roster_entry.key_id', '=', 'public_key.id'))))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('ballot').select('ballot.id').whereRef('ballot.key_id', '=', 'public_key.id'))))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('eligible_voter').select('eligible_voter.id').whereRef('eligible_voter.key_id', '=', 'public_key.id'))))
  if (among) q = q.where('public_key.id', 'in', among)
  const r = await q.executeTakeFirst()
  return Number(r.numDeletedRows)
}
