import type { Db } from './connect.ts'

// Letters to a cell: ciphertext only, until handled (hard-deleted, then purged) or past retention.

export async function insertLetter(db: Db, l: { cellId: number; reference: string; ciphertext: string; receivedAt: string }): Promise<void> {
  await db.insertInto('letter').values({ cell_id: l.cellId, reference: l.reference, ciphertext: l.ciphertext, received_at: l.receivedAt }).execute()
}

export async function countLetters(db: Db, cellId: number): Promise<number> {
  const row = await db.selectFrom('letter').select((eb) => eb.fn.countAll().as('n')).where('cell_id', '=', cellId).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A cell's letters, oldest first. */
export function listLetters(db: Db, cellId: number) {
  return db.selectFrom('letter').select(['reference', 'ciphertext', 'received_at']).where('cell_id', '=', cellId).orderBy('id').execute()
}

/** Delete a cell's letters by reference; returns the references that were there. */
export async function deleteLetters(db: Db, cellId: number, references: string[]): Promise<string[]> {
  if (references.length === 0) return []
  const rows = await db.deleteFrom('letter').where('cell_id', '=', cellId).where('reference', 'in', references).returning('reference').execute()
  return rows.map((r) => r.reference)
}

/** Delete every letter received before its cell's retention began; returns how many. */
export async function deleteLettersPastRetention(db: Db, now: number): Promise<number> {
  const cells = await db.selectFrom('cell').select(['id', 'letter_retention_days']).where((eb) => eb.exists(eb.selectFrom('letter').select('letter.id').whereRef('letter.cell_id', '=', 'cell.id'))).execute()
  let n = 0
  for (const c of cells) {
    const cutoff = new Date(now - c.letter_retention_days * 86_400_000).toISOString()
    const r = await db.deleteFrom('letter').where('cell_id', '=', c.id).where('received_at', '<', cutoff).executeTakeFirst()
    n += Number(r.numDeletedRows)
  }
  return n
}
