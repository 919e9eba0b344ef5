import type { Db } from './connect.ts'

// Cells a cell recognises as fraternal, by a decision of its voters.

export function fraternalCells(db: Db, cellId: number) {
  return db.selectFrom('fraternal_cell').select(['name', 'location', 'fingerprint', 'question_id']).where('cell_id', '=', cellId).orderBy('id').execute()
}

export function findFraternal(db: Db, cellId: number, fingerprint: string) {
  return db.selectFrom('fraternal_cell').select('name').where('cell_id', '=', cellId).where('fingerprint', '=', fingerprint).executeTakeFirst()
}

export async function recognise(db: Db, f: { cellId: number; name: string; location: string; fingerprint: string; armored: string; questionId: number; createdAt: string }) {
  await db
    .insertInto('fraternal_cell')
    .values({ cell_id: f.cellId, name: f.name, location: f.location, fingerprint: f.fingerprint, armored: f.armored, question_id: f.questionId, created_at: f.createdAt })
    .onConflict((oc) => oc.columns(['cell_id', 'fingerprint']).doNothing())
    .execute()
}

export async function withdrawRecognition(db: Db, cellId: number, fingerprint: string) {
  await db.deleteFrom('fraternal_cell').where('cell_id', '=', cellId).where('fingerprint', '=', fingerprint).execute()
}
