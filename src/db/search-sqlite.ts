import { type RawBuilder, sql } from 'kysely'
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
// it; a side stops after SEARCH_PASS_OVER of them, and only past that can they change an answer
// (partial, or a match older than them unseen): a bound on the cost has a boundary somewhere.
// Measured at 1,000,000 posts all on a hidden board: 14–112 ms a search, 3–31 ms none hidden.
export const matchingPostsSqlite: MatchingPosts = async (db, q, read) => {
  if (q.boardIds.length === 0) return { ids: [], partial: false }
  const match = fts5Match(q.terms)
  const enough = q.offset + q.limit
  const boards = onBoards(q.boardIds)
  const newest = (index: 'post_body_search' | 'thread_title_search', n: number) =>
    sql`select rowid as id from ${sql.table(index)} where ${sql.table(index)} match ${match} order by rowid desc limit ${n}`
  // With no board hidden from this reader, every match counts, and FTS5 alone (no lookup) says how
  // many there are and where the walk stopped: the cheap way, as before there were hidden boards.
  const hiding = q.hidden.length > 0
  const reach = hiding ? SEARCH_WALK + SEARCH_PASS_OVER : SEARCH_WALK
  const readable = hiding ? sql`t.board_id not in (${onBoards(q.hidden)})` : sql`true`
  // A side's walk: its matches newest first, each with its board (a body's post, a title's
  // thread), those that `where` keeps (the boards searched, or with boards hidden those this reader
  // may read), `n` of them at most, among the newest `reach` matches. FTS5 answers them one at a
  // time (a co-routine: no ORDER BY outside it, which would read them all to sort them), and CROSS
  // JOIN keeps them the outer loop, so a LIMIT takes the newest and stops there, as soon as a page
  // is found. A title's opening post is looked up only for the threads kept.
  const walk = (side: 'body' | 'title', where: RawBuilder<unknown>, n: number) =>
    side === 'body'
      ? sql`select p.id, t.board_id from (${newest('post_body_search', reach)}) f cross join post p on p.id = f.id cross join thread t on t.id = p.thread_id where ${where} limit ${n}`
      : sql`select t.id, t.board_id from (${newest('thread_title_search', reach)}) f cross join thread t on t.id = f.id where ${where} limit ${n}`
  const searched = sql`t.board_id in (${boards})`
  // Each side's page: with no board hidden, the boards searched straight from the walk (as before
  // there were hidden boards); with some, among the first SEARCH_WALK matches this reader may read.
  const side = (s: 'body' | 'title') => {
    const rows = hiding ? sql`select w.id from (${walk(s, readable, SEARCH_WALK)}) w where w.board_id in (${boards})` : sql`select w.id from (${walk(s, searched, SEARCH_WALK)}) w`
    return s === 'body' ? sql`${rows} limit ${enough}` : sql`select p.id from (${rows}) t cross join post p on p.thread_id = t.id and p.number = 1 limit ${enough}`
  }
  // Each side is kept apart (materialized, read once) so that the answer can tell whether a side
  // was cut: it found fewer than a page among its walk of SEARCH_WALK while there are more (or it
  // reached the newest `reach` matches). Its older matches are then unseen, and they may belong on
  // this page: unless the page is full of posts newer than the oldest match the side looked at
  // (its floor; a title's is its thread's opening post), the answer says it is partial. One last
  // row (no id) says so, in the same statement: one trip to the reader thread. With boards hidden,
  // the walk that decides it (SEARCH_WALK + 1 readable rows looked up, `body_walked`,
  // `title_walked`) is made only when a side found less than a page: a second walk over the matches
  // the page's walk went through, once for both its count and its floor (BENCHMARKS.md: up to
  // 3.5× a search with nothing hidden).
  const cut = (side: 'body' | 'title', index: 'post_body_search' | 'thread_title_search', floor: ReturnType<typeof sql>) => sql`(
    (select count(*) from ${sql.table(side)}) < ${enough}
    and (${
      hiding
        ? sql`(select count(*) from ${sql.table(`${side}_walked`)}) > ${SEARCH_WALK} or (select count(*) from (${newest(index, reach + 1)})) > ${reach}`
        : sql`(select count(*) from (${newest(index, SEARCH_WALK + 1)})) > ${SEARCH_WALK}`
    })
    and ((select count(*) from found) < ${enough} or (select min(id) from found) < coalesce(${floor}, ${Number.MAX_SAFE_INTEGER})))`
  const [bodyFloor, titleFloor] = hiding
    ? [
        sql`(select min(id) from (select id from body_walked order by id desc limit ${SEARCH_WALK}))`,
        sql`(select p.id from post p where p.number = 1 and p.thread_id = (select min(id) from (select id from title_walked order by id desc limit ${SEARCH_WALK})))`,
      ]
    : [
        sql`(select min(id) from (${newest('post_body_search', SEARCH_WALK)}))`,
        sql`(select p.id from post p where p.number = 1 and p.thread_id = (select min(id) from (${newest('thread_title_search', SEARCH_WALK)})))`,
      ]
  const walked = hiding ? sql`, body_walked as materialized (${walk('body', readable, SEARCH_WALK + 1)}), title_walked as materialized (${walk('title', readable, SEARCH_WALK + 1)})` : sql``
  const query = sql<{ id: number | null; past: number | null }>`
    with body as materialized (${side('body')}),
    title as materialized (${side('title')}),
    found as materialized (
      select id from body union select id from title
      order by id desc limit ${enough})${walked}
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
