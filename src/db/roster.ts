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
