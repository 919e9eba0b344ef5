import { type Kysely, PostgresAdapter, sql } from 'kysely'

// PostgreSQL only: each post carries its thread's board, so a search can keep to the boards a
// reader may read without looking up the thread of every match. A word in 0.15 % of 1,000,000
// posts has ≈1,500 matches, all fetched from the GIN index (db/search-postgres.ts, its third
// path): the thread lookup per match was 5 of its 6.8 ms (pgbench, pages in shared buffers).
//
// A trigger fills it, as the generated columns of 2026120602 fill the words, so no write path
// (posting, import, the benchmarks' bulk loads) can forget it; a post never changes thread, and a
// thread never changes board. SQLite keeps its FTS5 tables (2026120601): nothing changes there.
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`alter table post add column board_id integer`.execute(db)
  await sql`update post p set board_id = t.board_id from thread t where t.id = p.thread_id`.execute(db)
  await sql`alter table post alter column board_id set not null`.execute(db)
  await sql`create function post_board() returns trigger language plpgsql as $$
    begin
      new.board_id := (select t.board_id from thread t where t.id = new.thread_id);
      return new;
    end $$`.execute(db)
  await sql`create trigger post_board before insert or update of thread_id on post for each row execute function post_board()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`drop trigger post_board on post`.execute(db)
  await sql`drop function post_board()`.execute(db)
  await sql`alter table post drop column board_id`.execute(db)
}
