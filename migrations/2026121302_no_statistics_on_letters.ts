import { type Kysely, PostgresAdapter, sql } from 'kysely'

// 2026112204's rule (no planner statistics on content) for the letters, which came after it: an
// ANALYZE of `letter` (autovacuum runs one once enough letters come and go) copied sample
// references into pg_statistic, where they outlived the letters they named; a ciphertext under
// 1 KB would have been sampled too. Setting the target stops new samples, but PostgreSQL keeps the
// ones already taken (measured on 15: they survive ANALYZE and VACUUM FULL), and deleting from
// pg_statistic needs a superuser. Changing a column's type removes its statistics, and to its own
// type rewrites nothing: the table's owner may do it. SQLite keeps no such samples.
const COLUMNS = ['reference', 'ciphertext']
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  for (const c of COLUMNS) {
    await sql`alter table letter alter column ${sql.ref(c)} set statistics 0`.execute(db)
    await sql`alter table letter alter column ${sql.ref(c)} type text`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  for (const c of COLUMNS) await sql`alter table letter alter column ${sql.ref(c)} set statistics -1`.execute(db)
}
