import { sql } from 'kysely'
import type { MatchingPosts } from './search.ts'
import { onBoards } from './search.ts'

// PostgreSQL: the expression GIN indexes of migration 2026120601 ('simple' configuration: no
// stemming, so every language is searched alike). The words, already cut by domain/search.ts,
// go through plainto_tsquery: no operator in them can mean anything.
export const matchingPostsPostgres: MatchingPosts = async (db, q) => {
  if (q.boardIds.length === 0) return []
  const query = sql`plainto_tsquery('simple', ${q.terms.join(' ')})`
  const enough = q.offset + q.limit
  const { rows } = await sql<{ id: number }>`
    (select p.id from post p join thread t on t.id = p.thread_id
      where to_tsvector('simple', p.body_source) @@ ${query} and t.board_id in (${onBoards(q.boardIds)})
      order by p.id + 0 desc limit ${enough})
    union
    (select p.id from thread t join post p on p.thread_id = t.id and p.number = 1
      where to_tsvector('simple', t.title) @@ ${query} and t.board_id in (${onBoards(q.boardIds)})
      order by p.id + 0 desc limit ${enough})
    order by id desc limit ${q.limit} offset ${q.offset}`.execute(db)
  return rows.map((r) => Number(r.id))
}
