import { type Kysely, PostgresAdapter, sql } from 'kysely'

// A thread page built afresh on SQLite reads its posts from this index alone (issue 15; the
// numbers of the posts that quote one still come from the table, for the few that have them). A
// thread's posts are written among other threads' posts, so in the table they lie one or two to a
// 4 KB page: a page of 50 posts at 1,000,000 posts read about 50 pages of the table, each a read of
// the file, after the (thread_id, number) index had found them. Here the columns the page shows
// (db/posts.ts, readThreadPosts; `signed_text is not null` as an expression, without the text)
// sit in (thread_id, number) order, a thread's posts side by side: 231 µs for that statement alone
// against 465 before, on the 1,000,000-post board (BENCHMARKS.md). It costs a copy of body_html (about 300
// MB at 1,000,000 posts) and a second index entry per post written.
//
// Forgetting: SQLite removes a row's index entries with the row, and secure_delete overwrites them
// as it does the row (the raw-byte scans of tests/forget check the whole file). No
// statistics are gathered (nothing runs ANALYZE), and any an operator made are deleted when a node
// opens the file (db/connect.ts): no sample of these keys is kept elsewhere.
//
// Not on PostgreSQL: an index-only scan there cannot read an expression it would need (the
// signature's presence) from the index, and would visit the table for any page written since the
// last VACUUM.
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (isPg(db)) return
  await sql`create index post_page on post (thread_id, number, signing, created_at, key_id, (signed_text is not null), body_html)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPg(db)) return
  await sql`drop index post_page`.execute(db)
}
