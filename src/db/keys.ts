import type { Db } from './connect.ts'

export function findKey(db: Db, fingerprint: string) {
  return db.selectFrom('public_key').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirst()
}

/** The key's row id, inserting the key the first time it signs something published. */
export async function ensureKey(db: Db, key: { fingerprint: string; armored: string; createdAt: string }): Promise<number> {
  const found = await db.selectFrom('public_key').select('id').where('fingerprint', '=', key.fingerprint).executeTakeFirst()
  if (found) return found.id
  const row = await db
    .insertInto('public_key')
    .values({ fingerprint: key.fingerprint, armored: key.armored, created_at: key.createdAt })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
