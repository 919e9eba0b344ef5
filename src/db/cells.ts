import type { Db } from './connect.ts'
import type { Cell } from './schema.ts'

export function listCells(db: Db): Promise<Cell[]> {
  return db.selectFrom('cell').selectAll().orderBy('id').execute()
}

export async function findCell(db: Db, slug: string): Promise<Cell | undefined> {
  return db.selectFrom('cell').selectAll().where('slug', '=', slug).executeTakeFirst()
}

/** A cell by its row id (a question knows its cell only so). */
export async function findCellById(db: Db, id: number): Promise<Cell | undefined> {
  return db.selectFrom('cell').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertCell(db: Db, cell: { slug: string; name: string; createdAt: string; lang?: string }, principles: string[]): Promise<Cell> {
  const row = await db.insertInto('cell').values({ slug: cell.slug, name: cell.name, created_at: cell.createdAt, ...(cell.lang ? { lang: cell.lang } : {}) }).returningAll().executeTakeFirstOrThrow()
  const line = await db.insertInto('line').values({ cell_id: row.id, version: 1, created_at: cell.createdAt }).returning('id').executeTakeFirstOrThrow()
  if (principles.length > 0) {
    await db.insertInto('principle').values(principles.map((text, i) => ({ line_id: line.id, number: i + 1, text }))).execute()
  }
  return row
}

export type Line = { version: number; principles: { number: number; text: string }[] }

/** The cell's current line: its newest version and that version's principles. */
export async function currentLine(db: Db, cellId: number): Promise<Line> {
  const rows = await db
    .selectFrom('line')
    .leftJoin('principle', 'principle.line_id', 'line.id')
    .select(['line.version', 'principle.number', 'principle.text'])
    .where('line.cell_id', '=', cellId)
    .where('line.version', '=', (eb) => eb.selectFrom('line').select((e) => e.fn.max('version').as('v')).where('cell_id', '=', cellId))
    .orderBy('principle.number')
    .execute()
  return {
    version: rows[0]?.version ?? 0,
    principles: rows.filter((r) => r.number !== null).map((r) => ({ number: r.number!, text: r.text! })),
  }
}

/**
 * Inside a write transaction: lock the cell's row, so that two decisions changing its line (on
 * two nodes, or two connections) make versions N+1 and N+2 one after the other, never both N+1.
 * A guarded no-op UPDATE, which locks on either dialect (see lockOpenQuestion).
 */
export async function lockCell(db: Db, cellId: number): Promise<void> {
  await db.updateTable('cell').set((eb) => ({ slug: eb.ref('slug') })).where('id', '=', cellId).execute()
}

export async function setFloodExemptRoster(db: Db, cellId: number, exempt: boolean): Promise<void> {
  await db.updateTable('cell').set({ flood_exempt_roster: exempt ? 1 : 0 }).where('id', '=', cellId).execute()
}

/** Set (or replace) a cell's key, to which letters are encrypted. */
export async function putCellKey(db: Db, cellId: number, key: { fingerprint: string; armored: string }): Promise<void> {
  await db.updateTable('cell').set({ key_fingerprint: key.fingerprint, key_armored: key.armored }).where('id', '=', cellId).execute()
}

/**
 * A key left the cell's roster: its key ought to be rotated, from now (the earliest such time is
 * kept until it is). Only a cell that has a key owes a rotation.
 */
export async function markKeyRotationDue(db: Db, cellId: number, at: string): Promise<void> {
  await db.updateTable('cell').set({ key_rotation_due: at }).where('id', '=', cellId).where('key_fingerprint', 'is not', null).where('key_rotation_due', 'is', null).execute()
}

/** The cell key changed: no rotation is owed any more. */
export async function clearKeyRotationDue(db: Db, cellId: number): Promise<void> {
  await db.updateTable('cell').set({ key_rotation_due: null }).where('id', '=', cellId).execute()
}

export async function putLetterRetention(db: Db, cellId: number, days: number): Promise<void> {
  await db.updateTable('cell').set({ letter_retention_days: days }).where('id', '=', cellId).execute()
}

/** A cell's tiers (lowest first) and the least tiers that vote and read its inbox. */
export async function putCellTiers(db: Db, cellId: number, t: { tiers: string[]; voteTier: string; inboxTier: string }): Promise<void> {
  await db.updateTable('cell').set({ tiers: t.tiers.join(','), vote_tier: t.voteTier, inbox_tier: t.inboxTier }).where('id', '=', cellId).execute()
}
