import type { Db } from './connect.ts'

// The decision log's operator entries: what the operator did from the CLI, in each cell's public log.
// (Decisions themselves are closed questions, db/questions.ts.)

export async function recordOperatorAction(db: Db, cellId: number, action: string, createdAt: string) {
  await db.insertInto('operator_action').values({ cell_id: cellId, action, created_at: createdAt }).execute()
}

export function operatorActions(db: Db, cellId: number) {
  return db.selectFrom('operator_action').select(['id', 'action', 'created_at']).where('cell_id', '=', cellId).orderBy('id', 'desc').execute()
}
