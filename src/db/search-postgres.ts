import { type RawBuilder, sql } from 'kysely'
import type { Db } from './connect.ts'
import type { MatchingPosts, PostSearch } from './search.ts'
import { onBoards } from './search.ts'

// PostgreSQL: the stored words of migration 2026120602 (post.body_vector, thread.title_vector:
// 'simple' configuration, no stemming, so every language is searched alike) and their GIN indexes.
// The words, already cut by domain/search.ts, go through plainto_tsquery: no operator in them can
// mean anything.
//
// A GIN index gives its matches in no order, so "the newest `enough` matches" from it costs every
// match: for a word in half of 1,000,000 posts, half a million rows fetched and sorted. Walking the
// newest posts backwards by id and checking each one's stored words costs about enough ÷ (share of
// posts that match). The two are cheap for opposite words, and neither cost is known in advance:
//   1. walk the newest FIRST_LOOK × enough posts (a common word ends here);
//   2. if it found some, walk the newest √(enough × posts) (a word in more than √(enough ÷ posts)
//      of them ends here);
//   3. otherwise the word is in fewer than about √(enough × posts) posts: ask the GIN index.
// If the first walk found none, the word is taken to be rare and step 2 is skipped (below). So a
// search touches about 2·√(enough × posts) rows at most (≈ 9,000 at 1,000,000 and a first page of
// 20), but for a word the first walk missed by chance. A walk's answer is exact when it found `enough`: every post newer than its last was
// checked, on both texts. tests/db/search-paths.test.ts compares each path with a plain scan.

export const FIRST_LOOK = 10

export type Path = 'first-look' | 'walk' | 'index'

/** One backward walk over the newest `window` posts; a title matches its thread's opening post. */
function walkSql(q: PostSearch, query: RawBuilder<unknown>, window: number, enough: number): RawBuilder<{ id: number }> {
  const boards = onBoards(q.boardIds)
  // The CASE keeps the cheap checks first: the thread row is read only for an opening post whose
  // own words do not match (for its title). A scalar subquery, one row: written as EXISTS, the
  // planner hashed every thread whose title matched (20,000 for a word in every title: 29 ms)
  // before looking at the first post. post.board_id is its thread's (2026120603).
  return sql<{ id: number }>`
    select w.id from (select id, thread_id, board_id, number, body_vector from post order by id desc limit ${window}) w
    where w.board_id in (${boards}) and case
      when w.body_vector @@ ${query} then true
      when w.number = 1 then (select t.title_vector @@ ${query} from thread t where t.id = w.thread_id)
      else false end
    order by w.id desc limit ${enough}`
}

/** Every match by the GIN indexes (few, when this is reached), newest first. */
function indexSql(q: PostSearch, query: RawBuilder<unknown>, enough: number): RawBuilder<{ id: number }> {
  const boards = onBoards(q.boardIds)
  // The board from the post itself (2026120603): looking up each match's thread was 5 of the
  // 6.8 ms a word with 1,500 matches cost at 1,000,000 posts. The index holds the board too
  // (2026121201), so a word common elsewhere but rare on these boards fetches only these boards'
  // matches (a small cell's search cost 1.0–1.3 s before). p.id + 0 keeps the planner on the
  // index's matches rather than walking the primary key.
  return sql<{ id: number }>`
    (select p.id from post p
      where p.body_vector @@ ${query} and p.board_id in (${boards})
      order by p.id + 0 desc limit ${enough})
    union
    (select p.id from thread t join post p on p.thread_id = t.id and p.number = 1
      where t.title_vector @@ ${query} and t.board_id in (${boards})
      order by p.id + 0 desc limit ${enough})
    order by id desc limit ${enough}`
}

const ids = (rows: { id: number }[]) => rows.map((r) => Number(r.id)).sort((a, b) => b - a)
const walk = async (db: Db, q: PostSearch, query: RawBuilder<unknown>, window: number, enough: number) => ids((await walkSql(q, query, window, enough).execute(db)).rows)
const byIndex = async (db: Db, q: PostSearch, query: RawBuilder<unknown>, enough: number) => ids((await indexSql(q, query, enough).execute(db)).rows)

/**
 * The first walk and, only if it found nothing at all, the index, in one statement (one plan,
 * one round trip: a rare word or none costs one query, not two). The index's half runs under a
 * one-time filter on the walk's result, so a walk that found something never reaches it.
 */
async function firstLookThenIndex(db: Db, q: PostSearch, query: RawBuilder<unknown>, window: number, enough: number): Promise<{ found: number[]; indexed: boolean }> {
  const { rows } = await sql<{ id: number; walked: boolean }>`
    with w as materialized (${walkSql(q, query, window, enough)})
    select id, true as walked from w
    union all
    select i.id, false as walked from (${indexSql(q, query, enough)}) i where not exists (select 1 from w)`.execute(db)
  return { found: ids(rows), indexed: rows.length > 0 && !rows[0]!.walked }
}

/** The ids of the newest `enough` matches, and which path found them (for the tests). */
export async function searchPostgres(db: Db, q: PostSearch, firstLook = FIRST_LOOK): Promise<{ ids: number[]; path: Path }> {
  if (q.boardIds.length === 0) return { ids: [], path: 'first-look' }
  const query = sql`plainto_tsquery('simple', ${q.terms.join(' ')})`
  const enough = q.offset + q.limit
  const page = (ids: number[]) => ids.slice(q.offset, q.offset + q.limit)
  const first = firstLook * enough
  // Not one match among the newest FIRST_LOOK × enough: the word is most likely rare (or in no
  // post), so the longer walk would find as little, at its full cost (3 of the 6 ms a word in
  // 0.15 % of 1,000,000 posts cost). The index has few matches for it, and is asked in the same
  // statement. A word in s of the posts is sent there wrongly with probability
  // (1 − s)^(FIRST_LOOK × enough): for a page of 21, 5 % for s = 1.4 % (the index then fetches
  // ≈14,000 rows), under 1 % from s = 2.4 %.
  const { found, indexed } = await firstLookThenIndex(db, q, query, first, enough)
  if (found.length >= enough) return { ids: page(found), path: 'first-look' }
  if (found.length === 0 || indexed) return { ids: page(found), path: 'index' }
  // The newest id stands for the number of posts (ids are never reused; gaps only make it larger).
  const newest = await db.selectFrom('post').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst()
  const posts = Number(newest?.id ?? 0)
  if (posts <= first) return { ids: page(found), path: 'first-look' } // the walk saw every post
  const second = Math.ceil(Math.sqrt(enough * posts))
  if (second > first) {
    const more = await walk(db, q, query, second, enough)
    if (more.length >= enough || posts <= second) return { ids: page(more), path: 'walk' }
  }
  return { ids: page(await byIndex(db, q, query, enough)), path: 'index' }
}

// Exact (its index holds every match), on the writes' pool: a search that reaches the index can
// cost tens of milliseconds of PostgreSQL, and the read pool's two connections are the pages'.
export const matchingPostsPostgres: MatchingPosts = async (db, q) => ({ ids: (await searchPostgres(db, q)).ids, partial: false })
