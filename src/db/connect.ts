import BetterSqlite3 from 'better-sqlite3'
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver } from 'kysely'
import pg from 'pg'
import { migrations } from '../../migrations/index.ts'
import type { Database } from './schema.ts'

export type Db = Kysely<Database>
export type Dialect = 'sqlite' | 'postgres'

// Write transactions start IMMEDIATE: with Kysely's deferred `begin`, a second process (the
// purge CLI) and the server upgrade their locks at once and one of them gets SQLITE_BUSY
// whatever busy_timeout says. IMMEDIATE takes the write lock up front and waits politely.
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: Parameters<SqliteDriver['beginTransaction']>[0]) {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: BetterSqlite3.Database) {
    super({ database: sqlite })
  }
  override createDriver() {
    return new ImmediateSqliteDriver({ database: this.sqlite })
  }
}

/**
 * The one SQLite connection factory (server, CLI, tests, benchmarks). Every connection gets:
 * secure_delete ON (freed pages are zeroed: removed text does not linger in the file),
 * WAL, a busy timeout and foreign keys; each is read back and asserted.
 */
export function openSqlite(file: string): BetterSqlite3.Database {
  const sqlite = new BetterSqlite3(file)
  // Kysely prepares every statement on every query; the statements a board runs are few, so keep
  // them prepared (7 % of a post's time, measured). Bounded, in case of many distinct `in (…)` lists.
  const prepare = sqlite.prepare.bind(sqlite)
  const statements = new Map<string, BetterSqlite3.Statement>()
  sqlite.prepare = ((source: string) => {
    let statement = statements.get(source)
    if (!statement) {
      if (statements.size >= 500) statements.clear()
      statement = prepare(source)
      statements.set(source, statement)
    }
    return statement
  }) as typeof sqlite.prepare
  sqlite.pragma('secure_delete = ON')
  if (file !== ':memory:') sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  const want: Record<string, unknown> = { secure_delete: 1, busy_timeout: 5000, foreign_keys: 1, synchronous: 2 }
  if (file !== ':memory:') want.journal_mode = 'wal'
  for (const [name, value] of Object.entries(want)) {
    const got = sqlite.pragma(name, { simple: true })
    if (got !== value) throw new Error(`sqlite pragma ${name} is ${String(got)}, expected ${String(value)}`)
  }
  return sqlite
}

export function openDatabase(file: string): { db: Db; sqlite: BetterSqlite3.Database } {
  const sqlite = openSqlite(file)
  return { db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect(sqlite) }), sqlite }
}

/** PostgreSQL through node-postgres: a small pool per process (nodes are many, cores are few). */
export function openPostgres(url: string, max = 10): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max })
  // A connection that drops while idle must not take the process down; the pool replaces it.
  pool.on('error', () => {})
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool }
}

/**
 * Apply the migrations; returns the names of those this call applied. Several nodes may start at
 * once against one PostgreSQL: Kysely's lock serialises the migrations, but two first-ever
 * `create table if not exists` of its own tables can still collide in PostgreSQL's catalog, so a
 * failed attempt is retried after a moment.
 */
export async function migrateToLatest(db: Db, attempts = 5): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  for (let i = 1; ; i++) {
    const { error, results } = await migrator.migrateToLatest()
    const failed = results?.find((r) => r.status === 'Error')
    if (!error && !failed) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
    if (i >= attempts) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`)
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 400))
  }
}
