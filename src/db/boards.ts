import type { Db } from './connect.ts'
import type { Board } from './schema.ts'

export function listBoards(db: Db, cellId: number): Promise<Board[]> {
  return db.selectFrom('board').selectAll().where('cell_id', '=', cellId).orderBy('id').execute()
}

export function findBoard(db: Db, cellId: number, slug: string): Promise<Board | undefined> {
  return db.selectFrom('board').selectAll().where('cell_id', '=', cellId).where('slug', '=', slug).executeTakeFirst()
}

export function insertBoard(db: Db, b: Omit<Board, 'id' | 'last_thread_number' | 'flood'>): Promise<Board> {
  return db.insertInto('board').values(b).returningAll().executeTakeFirstOrThrow()
}

export function boardsWithRetention(db: Db) {
  return db.selectFrom('board').select(['id', 'retention_days']).where('retention_days', 'is not', null).execute()
}

export async function setBoardFlood(db: Db, boardId: number, flood: Board['flood']): Promise<void> {
  await db.updateTable('board').set({ flood }).where('id', '=', boardId).execute()
}
