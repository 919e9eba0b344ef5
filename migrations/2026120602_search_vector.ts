import { type Kysely, PostgresAdapter, sql } from 'kysely'

// PostgreSQL only: a search for a word in half the posts cost ≈ 170 ms of PostgreSQL CPU at
// 200,000 posts and grew with N (BENCHMARKS.md, "Search"), because the expression index gives the
// matches in no order: all were fetched, their text parsed again, then sorted. With the words
// stored beside the text, db/search-postgres.ts can walk the newest posts backwards and check each
// one's stored words cheaply, and stop at the page's end.
//
// Generated columns, so no write path can forget them: a post's words go with the post and change
// with its text. strip() drops the positions (search needs none): smaller, and says less about the
// text than the text does. No statistics (2026112204's rule: ANALYZE would copy common words into
// pg_statistic, where forgetting does not reach). The GIN indexes move onto the columns.
// SQLite keeps its FTS5 tables (2026120601); this migration does nothing there.
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`drop index post_body_search`.execute(db)
  await sql`drop index thread_title_search`.execute(db)
  await sql`alter table post add column body_vector tsvector generated always as (strip(to_tsvector('simple', body_source))) stored`.execute(db)
  await sql`alter table thread add column title_vector tsvector generated always as (strip(to_tsvector('simple', title))) stored`.execute(db)
  await sql`alter table post alter column body_vector set statistics 0`.execute(db)
  await sql`alter table thread alter column title_vector set statistics 0`.execute(db)
  await createIndexes(db)
}

/** The GIN indexes over the stored words (bench/search.ts builds them after a bulk load). */
export async function createIndexes(db: Kysely<any>): Promise<void> {
  await sql`create index post_body_search on post using gin (body_vector)`.execute(db)
  await sql`create index thread_title_search on thread using gin (title_vector)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`drop index post_body_search`.execute(db)
  await sql`drop index thread_title_search`.execute(db)
  await sql`alter table post drop column body_vector`.execute(db)
  await sql`alter table thread drop column title_vector`.execute(db)
  await sql`create index post_body_search on post using gin (to_tsvector('simple', body_source))`.execute(db)
  await sql`create index thread_title_search on thread using gin (to_tsvector('simple', title))`.execute(db)
  for (const index of ['post_body_search', 'thread_title_search']) await sql`alter index ${sql.table(index)} alter column 1 set statistics 0`.execute(db)
}
