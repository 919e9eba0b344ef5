import { type Kysely, PostgresAdapter, sql } from 'kysely'

// The kinds of line question are one table in code (src/services/questions/kinds.ts), each with a
// schema its stored payload is parsed with at every read. A CHECK listing the kinds here meant a
// migration for every new kind; it goes, and the kind is checked where the rest of the question is.
const KINDS = `kind in ('remove_post', 'amend_line', 'admit_key', 'remove_key', 'recognise_cell', 'withdraw_recognition')`

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table question drop constraint if exists question_kind_check`.execute(db)
    return
  }
  // SQLite cannot drop a constraint: rebuild the table (sqlite.org/lang_altertable.html, "other
  // kinds of table schema changes"), with foreign keys off so the tables that point at questions
  // keep their rows. Kysely runs SQLite migrations outside a transaction, which this needs.
  await rebuildQuestion(db, (create) => create.replace(` check (${KINDS})`, ''))
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql.raw(`alter table question add constraint question_kind_check check (${KINDS})`).execute(db)
    return
  }
  await rebuildQuestion(db, (create) => create.replace('"kind" text not null', `"kind" text not null check (${KINDS})`))
}

async function rebuildQuestion(db: Kysely<any>, edit: (createSql: string) => string): Promise<void> {
  const objects = (await sql<{ type: string; name: string; sql: string }>`select type, name, sql from sqlite_schema where tbl_name = 'question' and sql is not null`.execute(db)).rows
  const table = objects.find((o) => o.type === 'table')!
  const create = edit(table.sql).replace(/^CREATE TABLE (IF NOT EXISTS )?"question"/, 'CREATE TABLE "question_rebuilt"')
  if (create === table.sql || !create.startsWith('CREATE TABLE "question_rebuilt"')) throw new Error('migration: the question table is not as expected')
  await sql`pragma foreign_keys = off`.execute(db)
  try {
    await sql`begin immediate`.execute(db)
    try {
      await sql.raw(create).execute(db)
      await sql`insert into question_rebuilt select * from question`.execute(db)
      await sql`drop table question`.execute(db)
      await sql`alter table question_rebuilt rename to question`.execute(db)
      for (const index of objects.filter((o) => o.type === 'index')) await sql.raw(index.sql).execute(db)
      const broken = (await sql`pragma foreign_key_check`.execute(db)).rows
      if (broken.length > 0) throw new Error(`migration: ${broken.length} rows would point at no question`)
      await sql`commit`.execute(db)
    } catch (e) {
      await sql`rollback`.execute(db)
      throw e
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db)
  }
}
