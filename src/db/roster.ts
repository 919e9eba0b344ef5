import type { Db } from './connect.ts'

export type Role = 'member' | 'voter'

export function listRoster(db: Db, cellId: number) {
  return db
    .selectFrom('roster_entry')
    .innerJoin('public_key', 'public_key.id', 'roster_entry.key_id')
    .select(['public_key.fingerprint', 'roster_entry.role', 'roster_entry.created_at'])
    .where('roster_entry.cell_id', '=', cellId)
    .orderBy('roster_entry.id')
    .execute()
}

export async function roleOf(db: Db, cellId: number, fingerprint: string): Promise<Role | null> {
  const row = await db
    .selectFrom('roster_entry')
    .innerJoin('public_key', 'public_key.id', 'roster_entry.key_id')
    .select('roster_entry.role')
    .where('roster_entry.cell_id', '=', cellId)
    .where('public_key.fingerprint', '=', fingerprint)
    .executeTakeFirst()
  return row?.role ?? null
}

export async function putRosterEntry(db: Db, e: { cellId: number; keyId: number; role: Role; createdAt: string }): Promise<void> {
  await db
    .insertInto('roster_entry')
    .values({ cell_id: e.cellId, key_id: e.keyId, role: e.role, created_at: e.createdAt })
    .onConflict((oc) => oc.columns(['cell_id', 'key_id']).doUpdateSet({ role: e.role }))
    .execute()
}

/** The key ids of a cell's voters now. */
export async function voterKeyIds(db: Db, cellId: number): Promise<number[]> {
  const rows = await db.selectFrom('roster_entry').select('key_id').where('cell_id', '=', cellId).where('role', '=', 'voter').orderBy('key_id').execute()
  return rows.map((r) => r.key_id)
}

export async function removeRosterEntry(db: Db, cellId: number, fingerprint: string): Promise<number> {
  const key = await db.selectFrom('public_key').select('id').where('fingerprint', '=', fingerprint).executeTakeFirst()
  if (!key) return 0
  return Number((await db.deleteFrom('roster_entry').where('cell_id', '=', cellId).where('key_id', '=', key.id).executeTakeFirst()).numDeletedRows)
}
