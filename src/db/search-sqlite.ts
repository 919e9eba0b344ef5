import { sql } from 'kysely'
import { fts5Match } from '../domain/search.ts'
import type { MatchingPosts } from './search.ts'
import { onBoards } from './search.ts'

// SQLite: the FTS5 tables of migration 2026120601 (external content over post.body_source and
// thread.title, kept by triggers, secure-delete on). Each side walks its index newest first
// (ORDER BY rowid DESC is answered by FTS5 itself) and stops at the page's end.
export const matchingPostsSqlite: MatchingPosts = async (db, q) => {
  if (q.boardIds.length === 0) return []
  const match = fts5Match(q.terms)
  const enough = q.offset + q.limit
  const { rows } = await sql<{ id: number }>`
    select id from (
      select p.id from post_body_search f join post p on p.id = f.rowid join thread t on t.id = p.thread_id
      where post_body_search match ${match} and t.board_id in (${onBoards(q.boardIds)})
      order by f.rowid desc limit ${enough})
    union
    select id from (
      select p.id from thread_title_search f join thread t on t.id = f.rowid join post p on p.thread_id = t.id and p.number = 1
      where thread_title_search match ${match} and t.board_id in (${onBoards(q.boardIds)})
      order by f.rowid desc limit ${enough})
    order by id desc limit ${q.limit} offset ${q.offset}`.execute(db)
  return rows.map((r) => r.id)
}
