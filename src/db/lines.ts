import type { Db } from './connect.ts'

/** question_id is the deciding question's row (internal); question_number its address in the cell. */
export type LineVersion = { id: number; version: number; created_at: string; question_id: number | null; question_number: number | null; principles: { number: number; text: string }[] }

/** Every version of a cell's line, newest first, each with its principles. */
export async function lineHistory(db: Db, cellId: number): Promise<LineVersion[]> {
  const rows = await db
    .selectFrom('line')
    .leftJoin('principle', 'principle.line_id', 'line.id')
    .leftJoin('question', 'question.id', 'line.question_id')
    .select(['line.id', 'line.version', 'line.created_at', 'line.question_id', 'question.number as question_number', 'principle.number', 'principle.text'])
    .where('line.cell_id', '=', cellId)
    .orderBy('line.version', 'desc')
    .orderBy('principle.number')
    .execute()
  const versions = new Map<number, LineVersion>()
  for (const r of rows) {
    let v = versions.get(r.version)
    if (!v) versions.set(r.version, (v = { id: r.id, version: r.version, created_at: r.created_at, question_id: r.question_id, question_number: r.question_number, principles: [] }))
    if (r.number !== null) v.principles.push({ number: r.number, text: r.text! })
  }
  return [...versions.values()]
}

export async function insertLineVersion(db: Db, l: { cellId: number; version: number; createdAt: string; questionId: number | null }, principles: string[]) {
  const line = await db.insertInto('line').values({ cell_id: l.cellId, version: l.version, created_at: l.createdAt, question_id: l.questionId }).returning('id').executeTakeFirstOrThrow()
  if (principles.length > 0) await db.insertInto('principle').values(principles.map((text, i) => ({ line_id: line.id, number: i + 1, text }))).execute()
}
