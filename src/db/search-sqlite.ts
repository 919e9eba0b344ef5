import { sql } from 'kysely'
import { fts5Match, SEARCH_PASS_OVER, SEARCH_WALK } from '../domain/search.ts'
import type { MatchingPosts } from './search.ts'
import { onBoards } from './search.ts'
import { readOn } from './sqlite-reader.ts'

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
// most (domain/search.ts). A page found among them is exact (every newer match was looked at);
// when a side stopped there with matches left that may belong on the page, the answer says it is
// partial.
//
// Only matches on boards this reader may read count towards SEARCH_WALK. Those on boards they may
// not read (`hidden`) are passed over uncounted: counted, they made the answer depend on what
// members-only boards hold (an outsider's report: with 10,000 public posts holding a word, paid
// once, one anonymous search told whether any members-only post held it too, from the notice).
// Passing over costs a lookup a match, and only those who may write on such a board can add to
// it; a side stops after SEARCH_PASS_OVER of them, and only then can they make an answer partial.
export const matchingPostsSqlite: MatchingPosts = async (db, q, read) => {
  if (q.boardIds.length === 0) return { ids: [], partial: false }
  const match = fts5Match(q.terms)
  const enough = q.offset + q.limit
  const boards = onBoards(q.boardIds)
  const newest = (index: 'post_body_search' | 'thread_title_search', n: number) =>
    sql`select rowid as id from ${sql.table(index)} where ${sql.table(index)} match ${match} order by rowid desc limit ${n}`
  const reach = SEARCH_WALK + SEARCH_PASS_OVER
  const readable = q.hidden.length > 0 ? sql`t.board_id not in (${onBoards(q.hidden)})` : sql`true`
  // A side's walk: its matches newest first, each with its post (a title's: its thread's opening
  // post) and its board, on boards this reader may read, `n` of them at most, among the newest
  // `reach` matches. FTS5 answers them one at a time (a co-routine: no ORDER BY outside it, which
  // would read them all to sort them), and CROSS JOIN keeps them the outer loop, so a LIMIT
  // outside takes the newest and stops there, as soon as a page is found.
  const walk = (side: 'body' | 'title', n: number) =>
    side === 'body'
      ? sql`select p.id, t.id as thread_id, t.board_id from (${newest('post_body_search', reach)}) f cross join post p on p.id = f.id cross join thread t on t.id = p.thread_id where ${readable} limit ${n}`
      : sql`select p.id, t.id as thread_id, t.board_id from (${newest('thread_title_search', reach)}) f cross join thread t on t.id = f.id cross join post p on p.thread_id = t.id and p.number = 1 where ${readable} limit ${n}`
  // Each side is kept apart (materialized, read once) so that the answer can tell whether a side
  // was cut: it found fewer than a page among its walk of SEARCH_WALK while there are more (or it
  // reached the newest `reach` matches). Its older matches are then unseen, and they may belong on
  // this page: unless the page is full of posts newer than the oldest match the side looked at
  // (its floor; a title's is its thread's opening post), the answer says it is partial. One last
  // row (no id) says so, in the same statement: one trip to the reader thread.
  const cut = (side: 'body' | 'title', index: 'post_body_search' | 'thread_title_search', floor: ReturnType<typeof sql>) => sql`(
    (select count(*) from ${sql.table(side)}) < ${enough}
    and ((select count(*) from (${walk(side, SEARCH_WALK + 1)})) > ${SEARCH_WALK} or (select count(*) from (${newest(index, reach + 1)})) > ${reach})
    and ((select count(*) from found) < ${enough} or (select min(id) from found) < coalesce(${floor}, ${Number.MAX_SAFE_INTEGER})))`
  const bodyFloor = sql`(select min(id) from (${walk('body', SEARCH_WALK)}))`
  const titleFloor = sql`(select p.id from post p where p.number = 1 and p.thread_id = (select min(thread_id) from (${walk('title', SEARCH_WALK)})))`
  const query = sql<{ id: number | null; past: number | null }>`
    with body as materialized (
      select w.id from (${walk('body', SEARCH_WALK)}) w where w.board_id in (${boards}) limit ${enough}),
    title as materialized (
      select w.id from (${walk('title', SEARCH_WALK)}) w where w.board_id in (${boards}) limit ${enough}),
    found as materialized (
      select id from body union select id from title
      order by id desc limit ${enough})
    select id, null as past from found
    union all
    select null, 1 where ${cut('body', 'post_body_search', bodyFloor)} or ${cut('title', 'thread_title_search', titleFloor)}
    order by id desc`
  const rows = await readOn(db, read, query.compile(db))
  // NULL sorts last in a descending order: the ids come first, newest first.
  const ids = rows.filter((r) => r.id !== null).map((r) => r.id!)
  const partial = rows.some((r) => r.id === null)
  return { ids: ids.slice(q.offset), partial }
}
