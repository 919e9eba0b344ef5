import { type Kysely, PostgresAdapter, sql } from 'kysely'

// How many threads a board has (issue 15): its pager's page count without a count(*) over its
// threads on every board-page miss (linear in the board's size: ≈3 ms of PostgreSQL CPU at
// 20,000 threads). Triggers keep it, as 2026120603's trigger keeps post.board_id, so no path that
// adds or deletes threads (a new thread, a removal that empties one, retention, the purge, the
// cascade from a post removed by a vote, an import, the benchmarks' bulk loads) can forget it.
// A thread never changes board, so inserts and deletes are all there is to follow.
//
// PostgreSQL counts per statement, from the transition tables: forgetting 5,000 idle threads is one
// update of the board row, not 5,000. SQLite has only row triggers; its writes are one at a time anyway.
// When the board itself is deleted, the cascade's updates find no row: nothing to keep.
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('board').addColumn('thread_count', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await sql`update board set thread_count = (select count(*) from thread where thread.board_id = board.id)`.execute(db)
  if (isPg(db)) {
    await sql`create function board_thread_count() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update board b set thread_count = b.thread_count + n.n from (select board_id, count(*) as n from added group by board_id) n where b.id = n.board_id;
        else
          update board b set thread_count = b.thread_count - n.n from (select board_id, count(*) as n from removed group by board_id) n where b.id = n.board_id;
        end if;
        return null;
      end $$`.execute(db)
    await sql`create trigger board_thread_count_insert after insert on thread referencing new table as added for each statement execute function board_thread_count()`.execute(db)
    await sql`create trigger board_thread_count_delete after delete on thread referencing old table as removed for each statement execute function board_thread_count()`.execute(db)
  } else {
    await sql`create trigger board_thread_count_insert after insert on thread begin update board set thread_count = thread_count + 1 where id = new.board_id; end`.execute(db)
    await sql`create trigger board_thread_count_delete after delete on thread begin update board set thread_count = thread_count - 1 where id = old.board_id; end`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPg(db)) {
    await sql`drop trigger board_thread_count_insert on thread`.execute(db)
    await sql`drop trigger board_thread_count_delete on thread`.execute(db)
    await sql`drop function board_thread_count()`.execute(db)
  } else {
    await sql`drop trigger board_thread_count_insert`.execute(db)
    await sql`drop trigger board_thread_count_delete`.execute(db)
  }
  await db.schema.alterTable('board').dropColumn('thread_count').execute()
}
