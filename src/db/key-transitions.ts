import type { Db } from './connect.ts'
import type { CellKeyTransition } from './schema.ts'

// A cell's earlier keys, each with the statement it clearsigned naming the key that replaced it.

/** Inside a transaction that holds the cell's lock (lockCell): the next number in the cell is taken here. */
export async function insertKeyTransition(
  db: Db,
  t: { cellId: number; oldFingerprint: string; newFingerprint: string; oldArmored: string; statement: string; createdAt: string },
): Promise<number> {
  const last = await db.selectFrom('cell_key_transition').select((eb) => eb.fn.max('number').as('n')).where('cell_id', '=', t.cellId).executeTakeFirst()
  const number = Number(last?.n ?? 0) + 1
  await db
    .insertInto('cell_key_transition')
    .values({ cell_id: t.cellId, number, old_fingerprint: t.oldFingerprint, new_fingerprint: t.newFingerprint, old_armored: t.oldArmored, statement: t.statement, created_at: t.createdAt })
    .execute()
  return number
}

export type KeyTransitionListing = Pick<CellKeyTransition, 'number' | 'old_fingerprint' | 'new_fingerprint' | 'statement' | 'created_at'>

/** Every transition of a cell, newest first. */
export function listKeyTransitions(db: Db, cellId: number): Promise<KeyTransitionListing[]> {
  return db.selectFrom('cell_key_transition').select(['number', 'old_fingerprint', 'new_fingerprint', 'statement', 'created_at']).where('cell_id', '=', cellId).orderBy('number', 'desc').execute()
}

export function findKeyTransition(db: Db, cellId: number, number: number): Promise<CellKeyTransition | undefined> {
  return db.selectFrom('cell_key_transition').selectAll().where('cell_id', '=', cellId).where('number', '=', number).executeTakeFirst()
}
