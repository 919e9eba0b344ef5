import { type Kysely, PostgresAdapter, sql } from 'kysely'

// The start of a thread's opening post, kept in the thread's row (issue 15): a board page built
// afresh read each of its 50 threads' post 1 by the (thread_id, number) index and the post's row,
// 50 random reads of a table that at 1,000,000 posts no longer fits PostgreSQL's buffers (about
// 1.1 ms of PostgreSQL's 2.2 ms for a far page). Now the page reads the threads' rows alone.
//
// It is a copy of published words, so it must be forgotten with them. Triggers keep it, as
// 2026120901's keep board.thread_count, so no path can leave it behind: written when post 1 is
// written (a new thread, an import, the benchmarks' bulk loads), rewritten when post 1's HTML is
// (a reference rendered again), emptied when post 1 is deleted (a removal, the cascade of a
// thread's removal or the purge, where the thread's row goes too). The purge's raw-byte scans
// (tests/forget) read the thread table as they read the post table; on PostgreSQL the thread table
// is among those it rewrites (db/forget-postgres.ts, FORGET_TABLES).
//
// One character more than a board page shows (db/threads.ts, OPENING_HTML_CHARS = 1500) is kept,
// so the page can say whether the post goes on without reading it.
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter
const KEPT = 1501

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('thread').addColumn('opening', 'text').execute()
  // 2026112204's rule: ANALYZE would copy samples of the words into pg_statistic, where forgetting
  // does not reach. Set before the column holds anything.
  if (isPg(db)) await sql`alter table thread alter column opening set statistics 0`.execute(db)
  await sql`update thread set opening = (select substr(p.body_html, 1, ${sql.lit(KEPT)}) from post p where p.thread_id = thread.id and p.number = 1)`.execute(db)
  if (isPg(db)) {
    await sql`create function thread_opening_write() returns trigger language plpgsql as $$
      begin
        update thread set opening = substr(new.body_html, 1, ${sql.lit(KEPT)}) where id = new.thread_id;
        return null;
      end $$`.execute(db)
    await sql`create trigger thread_opening_insert after insert on post for each row when (new.number = 1) execute function thread_opening_write()`.execute(db)
    await sql`create trigger thread_opening_update after update of body_html on post for each row when (new.number = 1) execute function thread_opening_write()`.execute(db)
    // Per row, not per statement from a transition table: that table would hold the removed posts'
    // whole rows, and past work_mem PostgreSQL spills it to a temporary file, a copy of the words
    // being forgotten. A row trigger's queue holds only row addresses; it fires for post 1s alone.
    await sql`create function thread_opening_forget() returns trigger language plpgsql as $$
      begin
        update thread set opening = null where id = old.thread_id;
        return null;
      end $$`.execute(db)
    await sql`create trigger thread_opening_delete after delete on post for each row when (old.number = 1) execute function thread_opening_forget()`.execute(db)
    // For the same reason, the board's thread count (2026120901) no longer counts deleted threads
    // from a transition table: with the opening in the row, a purge of a few thousand threads would
    // pass work_mem and write their openings to a temporary file. One update of the board row per
    // thread instead (a purge of 5,000 threads: 5,000 updates of one row, in its transaction).
    await sql`drop trigger board_thread_count_delete on thread`.execute(db)
    await sql`create function board_thread_count_delete() returns trigger language plpgsql as $$
      begin
        update board set thread_count = thread_count - 1 where id = old.board_id;
        return null;
      end $$`.execute(db)
    await sql`create trigger board_thread_count_delete after delete on thread for each row execute function board_thread_count_delete()`.execute(db)
  } else {
    await sql`create trigger thread_opening_insert after insert on post when new.number = 1 begin update thread set opening = substr(new.body_html, 1, ${sql.lit(KEPT)}) where id = new.thread_id; end`.execute(db)
    await sql`create trigger thread_opening_update after update of body_html on post when new.number = 1 begin update thread set opening = substr(new.body_html, 1, ${sql.lit(KEPT)}) where id = new.thread_id; end`.execute(db)
    await sql`create trigger thread_opening_delete after delete on post when old.number = 1 begin update thread set opening = null where id = old.thread_id; end`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPg(db)) {
    await sql`drop trigger board_thread_count_delete on thread`.execute(db)
    await sql`drop function board_thread_count_delete()`.execute(db)
    await sql`create trigger board_thread_count_delete after delete on thread referencing old table as removed for each statement execute function board_thread_count()`.execute(db)
    for (const t of ['insert', 'update', 'delete']) await sql`drop trigger ${sql.raw(`thread_opening_${t}`)} on post`.execute(db)
    await sql`drop function thread_opening_write()`.execute(db)
    await sql`drop function thread_opening_forget()`.execute(db)
  } else {
    for (const t of ['insert', 'update', 'delete']) await sql`drop trigger ${sql.raw(`thread_opening_${t}`)}`.execute(db)
  }
  await db.schema.alterTable('thread').dropColumn('opening').execute()
}
