import { type Kysely, PostgresAdapter, sql } from 'kysely'

// PostgreSQL only: the search's GIN indexes take the board too (btree_gin), so the boards a reader
// may read narrow the index's matches inside the index. Without it, a word rare on the boards
// searched but common elsewhere was answered by fetching every post with the word on the site and
// dropping those of other boards: a small cell's search for a word in every other post of
// 1,000,000 cost 1.0–1.3 s of PostgreSQL CPU (bench/search.ts, 2026-12-06), and anyone may ask
// it, as often as they like. With the board in the index: 0.2 ms, and a rare word on one board 4.7
// against 10.7 ms. btree_gin ships with PostgreSQL (contrib) and is trusted: a database owner
// without superuser may create it. No statistics on either column change (2026112204's rule).
// SQLite keeps its FTS5 tables, looked through a bounded number of matches (db/search-sqlite.ts).
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`create extension if not exists btree_gin`.execute(db)
  await sql`drop index post_body_search`.execute(db)
  await sql`drop index thread_title_search`.execute(db)
  await createIndexes(db)
}

/** The GIN indexes over each board's stored words (bench/search.ts builds them after a bulk load). */
export async function createIndexes(db: Kysely<any>): Promise<void> {
  await sql`create index post_body_search on post using gin (board_id, body_vector)`.execute(db)
  await sql`create index thread_title_search on thread using gin (board_id, title_vector)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`drop index post_body_search`.execute(db)
  await sql`drop index thread_title_search`.execute(db)
  await sql`create index post_body_search on post using gin (body_vector)`.execute(db)
  await sql`create index thread_title_search on thread using gin (title_vector)`.execute(db)
}
