import { sql } from 'kysely'
import { fts5Match, SEARCH_WALK } from '../domain/search.ts'
import type { MatchingPosts } from './search.ts'
import { onBoards } from './search.ts'

// SQLite: the FTS5 tables of migration 2026120601 (external content over post.body_source and
// thread.title, kept by triggers, secure-delete on). Each side walks its index newest first
// (ORDER BY rowid DESC is answered by FTS5 itself) and stops at the page's end.
//
// FTS5 knows nothing of boards: a match is kept or passed over after it is looked up (its post,
// then its thread). So a search of a small cell (or of boards most readers may not read) for a
// word common elsewhere looked up every match on the site before it gave up on finding a page:
// 200,000 posts with the word in another cell cost 58 ms of the event loop for one request
// (bench/search.ts), linear in the matches, and anyone may ask it as often as they like. FTS5 has
// no cheaper way to test one post (MATCH with `rowid = ?` or a rowid range read the term's whole
// list: 8–130 ms a post there). So each side looks through the newest SEARCH_WALK matches at
// most (domain/search.ts): a page found among them is exact (every newer match was looked at), and when they hold
// fewer than the page asks for while the word has more, the answer says it is partial.
export const matchingPostsSqlite: MatchingPosts = async (db, q, read) => {
  if (q.boardIds.length === 0) return { ids: [], partial: false }
  const match = fts5Match(q.terms)
  const enough = q.offset + q.limit
  const boards = onBoards(q.boardIds)
  const newest = (index: 'post_body_search' | 'thread_title_search', n: number) =>
    sql`select rowid as id from ${sql.table(index)} where ${sql.table(index)} match ${match} order by rowid desc limit ${n}`
  // Each side's matches come newest first from FTS5, one at a time (a co-routine: no ORDER BY
  // outside it, which would read all SEARCH_WALK of them to sort them), and CROSS JOIN keeps them
  // the outer loop, so its LIMIT takes the newest and stops there, as soon as a page is found.
  // Fewer than a page found: the whole answer, unless a side stopped at its limit with more
  // matches to see; a last row (no id) says how many the busier side has, up to one past the
  // limit, in the same statement (one trip to the reader thread, not two).
  const past = (index: 'post_body_search' | 'thread_title_search') => sql`select count(*) from (${newest(index, SEARCH_WALK + 1)})`
  const query = sql<{ id: number | null; past: number | null }>`
    with found as materialized (
      select id from (
        select p.id from (${newest('post_body_search', SEARCH_WALK)}) f cross join post p on p.id = f.id cross join thread t on t.id = p.thread_id
        where t.board_id in (${boards})
        limit ${enough})
      union
      select id from (
        select p.id from (${newest('thread_title_search', SEARCH_WALK)}) f cross join thread t on t.id = f.id cross join post p on p.thread_id = t.id and p.number = 1
        where t.board_id in (${boards})
        limit ${enough})
      order by id desc limit ${enough})
    select id, null as past from found
    union all
    select null, max((${past('post_body_search')}), (${past('thread_title_search')})) where (select count(*) from found) < ${enough}`
  const rows = read ? await read(query.compile(db)) : (await query.execute(db)).rows
  const ids = rows.filter((r) => r.id !== null).map((r) => r.id!)
  const partial = rows.some((r) => r.id === null && Number(r.past) > SEARCH_WALK)
  return { ids: ids.slice(q.offset), partial }
}
