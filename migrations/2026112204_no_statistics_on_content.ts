import { type Kysely, PostgresAdapter, sql } from 'kysely'

// PostgreSQL's ANALYZE copies sample values of a column (most common values, histogram bounds)
// into pg_statistic, where they would outlive the rows they came from. Published text needs no
// statistics: collect none for it. SQLite keeps no such samples; there this does nothing.
const CONTENT: Record<string, string[]> = {
  thread: ['title'],
  post: ['body_source', 'body_html', 'signed_text'],
  public_key: ['fingerprint', 'armored'],
  revoked_key: ['fingerprint', 'revoked_armored'],
  principle: ['text'],
  question: ['payload', 'argument'],
  ballot: ['signed_text'],
  fraternal_cell: ['name', 'location', 'fingerprint', 'armored'],
  operator_action: ['action'],
}

async function setStatistics(db: Kysely<any>, target: number): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  for (const [table, columns] of Object.entries(CONTENT)) {
    for (const column of columns) await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} set statistics ${sql.raw(String(target))}`.execute(db)
  }
}

export const up = (db: Kysely<any>) => setStatistics(db, 0)
export const down = (db: Kysely<any>) => setStatistics(db, -1)
