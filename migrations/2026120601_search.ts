import { type Kysely, PostgresAdapter, sql } from 'kysely'

// Search (issue 13) over post bodies and thread titles. Two indexes on both dialects, one per
// text: a thread's title matches its opening post. (One index over "title + body" would need the
// title when a post is deleted, and a thread's posts are deleted by ON DELETE CASCADE after the
// thread row is gone.)
//
// SQLite: FTS5 tables with external content (the text stays only in post and thread), kept in
// sync by triggers, so every write and delete path — removal, retention, CASCADE — updates them.
// FTS5 keeps a deleted row's tokens in its segments until they are merged; with 'secure-delete'
// (a persistent option, SQLite >= 3.44) a delete removes them at once, so the purge's checkpoint
// is enough (measured: without it, or with a contentless table, the token stays until 'optimize').
//
// PostgreSQL: expression GIN indexes with the 'simple' configuration (no stemming, every
// language), no new column; VACUUM FULL in the purge rebuilds them with the tables. ANALYZE would
// copy common lexemes into pg_statistic: the expressions get no statistics (2026112204's rule).
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (isPg(db)) {
    await sql`create index post_body_search on post using gin (to_tsvector('simple', body_source))`.execute(db)
    await sql`create index thread_title_search on thread using gin (to_tsvector('simple', title))`.execute(db)
    for (const index of ['post_body_search', 'thread_title_search']) await sql`alter index ${sql.table(index)} alter column 1 set statistics 0`.execute(db)
    return
  }
  // unicode61 folds case; diacritics are kept, as PostgreSQL's 'simple' keeps them (unaccent is an
  // extension a server may not have): the same query finds the same posts on both dialects.
  await sql`create virtual table post_body_search using fts5(body_source, content='post', content_rowid='id', tokenize='unicode61 remove_diacritics 0', columnsize=0)`.execute(db)
  await sql`create virtual table thread_title_search using fts5(title, content='thread', content_rowid='id', tokenize='unicode61 remove_diacritics 0', columnsize=0)`.execute(db)
  for (const t of ['post_body_search', 'thread_title_search']) await sql`insert into ${sql.table(t)}(${sql.ref(t)}, rank) values ('secure-delete', 1)`.execute(db)
  await sql`create trigger post_search_insert after insert on post begin
    insert into post_body_search(rowid, body_source) values (new.id, new.body_source); end`.execute(db)
  await sql`create trigger post_search_delete after delete on post begin
    insert into post_body_search(post_body_search, rowid, body_source) values ('delete', old.id, old.body_source); end`.execute(db)
  await sql`create trigger post_search_update after update of body_source on post begin
    insert into post_body_search(post_body_search, rowid, body_source) values ('delete', old.id, old.body_source);
    insert into post_body_search(rowid, body_source) values (new.id, new.body_source); end`.execute(db)
  await sql`create trigger thread_search_insert after insert on thread begin
    insert into thread_title_search(rowid, title) values (new.id, new.title); end`.execute(db)
  await sql`create trigger thread_search_delete after delete on thread begin
    insert into thread_title_search(thread_title_search, rowid, title) values ('delete', old.id, old.title); end`.execute(db)
  await sql`create trigger thread_search_update after update of title on thread begin
    insert into thread_title_search(thread_title_search, rowid, title) values ('delete', old.id, old.title);
    insert into thread_title_search(rowid, title) values (new.id, new.title); end`.execute(db)
  // What was published before this migration.
  for (const t of ['post_body_search', 'thread_title_search']) await sql`insert into ${sql.table(t)}(${sql.ref(t)}) values ('rebuild')`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPg(db)) {
    await sql`drop index post_body_search`.execute(db)
    await sql`drop index thread_title_search`.execute(db)
    return
  }
  for (const t of ['post_search_insert', 'post_search_delete', 'post_search_update', 'thread_search_insert', 'thread_search_delete', 'thread_search_update']) await sql`drop trigger ${sql.raw(t)}`.execute(db)
  await sql`drop table post_body_search`.execute(db)
  await sql`drop table thread_title_search`.execute(db)
}
