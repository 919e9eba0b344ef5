import { sql } from 'kysely'
import type { Db } from './connect.ts'
import { readOn, type ReadRows } from './sqlite-reader.ts'

// What a search asks of the storage seam (storage.ts picks search-sqlite.ts or search-postgres.ts):
// the ids of the newest posts that match every word, in their body or (for an opening post) in
// its thread's title, on the boards given — the boards this reader may read, decided before the
// query by services/access.ts. Then one query for what a result shows.

/**
 * `boardIds`: the boards searched (those of the scope this reader may read); `hidden`: every board
 * on the site this reader may not read. A dialect whose index does not know boards (SQLite) passes
 * over the matches on `hidden` boards without counting them, so that nothing they hold changes the
 * answer (search-sqlite.ts).
 */
export type PostSearch = { terms: string[]; boardIds: number[]; hidden: number[]; limit: number; offset: number }
/**
 * The matches' ids, newest first; `partial`: the dialect stopped looking before it had seen every
 * match (SQLite, search-sqlite.ts), so older posts on these boards may match too. `read`, if given,
 * runs the statements (Storage.readRows: SQLite's reader thread), else `db`.
 */
export type Matching = { ids: number[]; partial: boolean }
export type MatchingPosts = (db: Db, q: PostSearch, read?: ReadRows | null) => Promise<Matching>

export type SearchHit = {
  id: number
  cell: string
  cellName: string
  board: string
  boardName: string
  /** The least tier that reads the board; null: anyone. */
  readTier: string | null
  thread: number
  title: string
  number: number
  body_source: string
  created_at: string
}

export async function findSearchHits(db: Db, ids: number[], read: ReadRows | null = null): Promise<SearchHit[]> {
  if (ids.length === 0) return []
  const query = db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .innerJoin('board', 'board.id', 'thread.board_id')
    .innerJoin('cell', 'cell.id', 'board.cell_id')
    .select(['post.id', 'cell.slug as cell', 'cell.name as cellName', 'board.slug as board', 'board.name as boardName', 'board.read_tier as readTier', 'thread.number as thread', 'thread.title', 'post.number', 'post.body_source', 'post.created_at'])
    .where('post.id', 'in', ids)
    .orderBy('post.id', 'desc')
    .compile()
  return readOn(db, read, query)
}

/** The posts of these boards whose ids are in a set (used by both dialects' queries). */
export const onBoards = (boardIds: number[]) => sql.join(boardIds.map((id) => sql.lit(id)))
