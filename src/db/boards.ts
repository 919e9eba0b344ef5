import type { Db } from './connect.ts'
import type { Board } from './schema.ts'

export function listBoards(db: Db, cellId: number): Promise<Board[]> {
  return db.selectFrom('board').selectAll().where('cell_id', '=', cellId).orderBy('id').execute()
}

export function findBoard(db: Db, cellId: number, slug: string): Promise<Board | undefined> {
  return db.selectFrom('board').selectAll().where('cell_id', '=', cellId).where('slug', '=', slug).executeTakeFirst()
}

export function insertBoard(db: Db, b: Omit<Board, 'id' | 'last_thread_number' | 'thread_count' | 'flood' | 'indexable'>): Promise<Board> {
  return db.insertInto('board').values(b).returningAll().executeTakeFirstOrThrow()
}

export function boardsWithRetention(db: Db) {
  return db.selectFrom('board').select(['id', 'retention_days']).where('retention_days', 'is not', null).execute()
}

export async function setBoardFlood(db: Db, boardId: number, flood: Board['flood']): Promise<void> {
  await db.updateTable('board').set({ flood }).where('id', '=', boardId).execute()
}

export async function setBoardIndexable(db: Db, boardId: number, indexable: boolean): Promise<void> {
  await db.updateTable('board').set({ indexable: indexable ? 1 : 0 }).where('id', '=', boardId).execute()
}

/** Where the boards are that ask to be indexed and that anyone reads: robots.txt names only these. */
export function listIndexableBoards(db: Db): Promise<{ cell: string; board: string }[]> {
  return db
    .selectFrom('board')
    .innerJoin('cell', 'cell.id', 'board.cell_id')
    .select(['cell.slug as cell', 'board.slug as board'])
    .where('board.indexable', '=', 1)
    .where('board.read_tier', 'is', null)
    .orderBy('board.id')
    .execute()
}

/** The least tiers that read and post on a board (null: anyone). */
export async function setBoardTiers(db: Db, boardId: number, t: { read: string | null; post: string | null }): Promise<void> {
  await db.updateTable('board').set({ read_tier: t.read, post_tier: t.post }).where('id', '=', boardId).execute()
}

/** The tiers a cell's boards name (its tiers may change only where none of them goes). */
export async function boardTiersNamed(db: Db, cellId: number): Promise<string[]> {
  const rows = await db.selectFrom('board').select(['read_tier', 'post_tier']).where('cell_id', '=', cellId).execute()
  return [...new Set(rows.flatMap((r) => [r.read_tier, r.post_tier]).filter((t): t is string => t !== null))]
}

/** Every board of every cell (or of one), with what decides who reads it: for search. */
export function boardsForSearch(db: Db, cellId: number | null) {
  let q = db.selectFrom('board').select(['id', 'cell_id', 'read_tier']).orderBy('id')
  if (cellId !== null) q = q.where('cell_id', '=', cellId)
  return q.execute()
}
