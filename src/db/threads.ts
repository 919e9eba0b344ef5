import { sql } from 'kysely'
import type { Db } from './connect.ts'
import { readOn, type ReadRows } from './sqlite-reader.ts'
import type { Thread } from './schema.ts'

/**
 * A thread as its board lists it; `opening`: the start of its opening post's stored HTML (null once
 * that post is removed), `openingCut`: whether the post's HTML goes on past it.
 */
export type ThreadListing = Pick<Thread, 'number' | 'title' | 'post_count' | 'last_post_at' | 'created_at'> & { opening: string | null; openingCut: boolean }

/**
 * Characters of the opening post's HTML shown for its excerpt: enough for one (the text of 400
 * characters of a post, with its links' addresses), never a whole post's 96 KB. The thread's row
 * keeps one more (thread.opening, written by migration 2026121301's triggers), to tell whether the post goes on.
 */
const OPENING_HTML_CHARS = 1500

/**
 * A board's threads, most recent activity first (order from ids, not times), each with the start
 * of its opening post, and how many threads the board has (board.thread_count, kept by triggers):
 * one query of the threads' rows, which keep that start (thread.opening), so no post is read (a
 * page past the end asks for the count alone).
 *
 * Page N is still addressed by its number (the whole-page cache keys only `?page=N`, and the list's
 * numbering goes on across pages), so the page's first row is found by a seek, not an OFFSET over
 * the wide join: the subquery walks only the (board_id, last_post_id) index — index-only, a few
 * bytes an entry — to the `skip`-th thread's last_post_id, and the page is the `limit` threads
 * from there (last_post_id is one post's id: unique among threads). Page 1, the one read most,
 * needs no subquery at all and costs the same at any board size; a far page costs a walk of the
 * narrow index from its nearer end (at most half of it), where the OFFSET joined and read every
 * skipped thread. Cursor links (`?after=`) would cost nothing more for far pages too, but no cache
 * could keep them and the pager could not name its pages. `read`, if given, runs it (Storage.readRows: SQLite's reader thread, PostgreSQL's read pool); else `db`.
 */
export async function listThreads(db: Db, boardId: number, limit: number, skip: number, read: ReadRows | null = null): Promise<{ threads: ThreadListing[]; total: number }> {
  const total = db.selectFrom('board').select('board.thread_count as total').where('board.id', '=', boardId)
  let query = db
    .selectFrom('thread')
    .select(['thread.number', 'thread.title', 'thread.post_count', 'thread.last_post_at', 'thread.created_at'])
    // The stored HTML, not the Markdown: its words are had without parsing (domain/markdown.ts textOfRendered).
    .select(sql<string | null>`substr(thread.opening, 1, ${sql.lit(OPENING_HTML_CHARS)})`.as('opening'))
    .select(sql<number | boolean | null>`length(thread.opening) > ${sql.lit(OPENING_HTML_CHARS)}`.as('opening_cut'))
    .select(total.as('total'))
    .where('thread.board_id', '=', boardId)
  if (skip > 0) {
    // The walk starts from the nearer end: the newest for the first half of the board's pages, the
    // oldest for the rest (the (total - 1 - skip)-th from there is the same thread), so no page
    // walks more than half the index. Past the end there is no such thread, and no row.
    const seek = (order: 'asc' | 'desc') => db.selectFrom('thread as seek').select('seek.last_post_id').where('seek.board_id', '=', boardId).orderBy('seek.last_post_id', order).limit(1)
    const fromNewest = seek('desc').offset(skip)
    const fromOldest = seek('asc').offset(sql<number>`(${total}) - cast(${skip + 1} as bigint)`)
    query = query.where('thread.last_post_id', '<=', sql<number>`case when cast(${skip * 2} as bigint) < (${total}) then (${fromNewest}) when cast(${skip} as bigint) < (${total}) then (${fromOldest}) end`)
  }
  const compiled = query.orderBy('thread.last_post_id', 'desc').limit(limit).compile()
  const rows = await readOn(db, read, compiled)
  // A page past the end has no row to carry the count: asked for alone, so its way out names the
  // board's real last page (only such a page pays for it).
  const count = rows[0]?.total ?? (skip > 0 ? (await readOn(db, read, total.compile()))[0]?.total : 0)
  return { threads: rows.map(({ total: _, opening_cut, ...t }) => ({ ...t, openingCut: Boolean(opening_cut) })), total: Number(count ?? 0) }
}

/** A thread by its address: the board and the thread's number on it. */
export function findThread(db: Db, boardId: number, number: number): Promise<Thread | undefined> {
  // Named columns: on PostgreSQL the row also holds title_vector (search's stored words).
  return db
    .selectFrom('thread')
    .select(['id', 'board_id', 'number', 'title', 'created_at', 'post_count', 'last_number', 'last_post_id', 'last_post_at'])
    .where('board_id', '=', boardId)
    .where('number', '=', number)
    .executeTakeFirst()
}

/**
 * Inside a write transaction: a new thread, numbered next on its board. The counter is bumped with
 * UPDATE … RETURNING, which locks the board's row, so two threads started at once on PostgreSQL
 * number one after the other instead of colliding (as thread.last_number does for posts).
 */
export async function insertThread(db: Db, t: { boardId: number; title: string; createdAt: string }): Promise<{ id: number; number: number }> {
  const board = await db
    .updateTable('board')
    .set({ last_thread_number: sql`last_thread_number + 1` })
    .where('id', '=', t.boardId)
    .returning('last_thread_number')
    .executeTakeFirstOrThrow()
  return db
    .insertInto('thread')
    .values({ board_id: t.boardId, number: board.last_thread_number, title: t.title, created_at: t.createdAt, last_post_at: t.createdAt })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow()
}

/** The keys that signed a thread's posts (to forget those left signing nothing). */
export async function keysOfThreads(db: Db, threadIds: number[]): Promise<number[]> {
  if (threadIds.length === 0) return []
  const rows = await db.selectFrom('post').select('key_id').distinct().where('thread_id', 'in', threadIds).execute()
  return rows.map((r) => r.key_id)
}

/** Hard-delete threads; their posts go with them (ON DELETE CASCADE). */
export async function deleteThreads(db: Db, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0
  return Number((await db.deleteFrom('thread').where('id', 'in', ids).executeTakeFirst()).numDeletedRows)
}

/** Threads on a board whose latest post is older than the cutoff (ISO time). */
export async function threadsIdleSince(db: Db, boardId: number, cutoff: string): Promise<number[]> {
  const rows = await db.selectFrom('thread').select('id').where('board_id', '=', boardId).where('last_post_at', '<', cutoff).execute()
  return rows.map((r) => r.id)
}

export async function retitleThread(db: Db, threadId: number, title: string): Promise<void> {
  await db.updateTable('thread').set({ title }).where('id', '=', threadId).execute()
}
