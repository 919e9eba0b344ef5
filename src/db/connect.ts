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
  // SQLite's own default page cache, 2 MB (better-sqlite3 builds it with 16 MB). The pages are in
  // the kernel's file cache either way; this copy only made the server's memory creep up for as
  // long as the database grew into it (bench/memory.ts: about 7 MB of the growth in 4 minutes).
  // Measured with the smaller one (BENCHMARKS.md): pages missed by the cache at 1,000,000 posts
  // and posting went as fast.
  sqlite.pragma('cache_size = -2000')
  const want: Record<string, unknown> = { secure_delete: 1, busy_timeout: 5000, foreign_keys: 1, synchronous: 2, cache_size: -2000 }
  if (file !== ':memory:') want.journal_mode = 'wal'
  for (const [name, value] of Object.entries(want)) {
    const got = sqlite.pragma(name, { simple: true })
    if (got !== value) throw new Error(`sqlite pragma ${name} is ${String(got)}, expected ${String(value)}`)
  }
  // ANALYZE keeps samples of index keys in sqlite_stat4 (better-sqlite3 builds SQLite with it), and
  // the post_page index's keys hold each post's HTML: a sample would outlive its post. Nothing here
  // runs ANALYZE; should an operator have, the samples are deleted (and overwritten) at every open.
  if (sqlite.prepare("select 1 from sqlite_master where name = 'sqlite_stat4'").get()) sqlite.exec('delete from sqlite_stat4')
  return sqlite
}

export function openDatabase(file: string): { db: Db; sqlite: BetterSqlite3.Database } {
  const sqlite = openSqlite(file)
  return { db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect(sqlite) }), sqlite }
}

/**
 * Statements with parameters are named, so each connection parses a statement once and PostgreSQL
 * keeps its plan: Kysely sends every query unnamed, and PostgreSQL then parses, analyses and plans
 * it anew each time (a quarter of the backend's CPU per post, measured; see BENCHMARKS.md). The
 * name is the text's, the same on every connection, for as long as the process lives; only the
 * text is kept (values are parameters, and the few numbers inlined with sql.lit are ids).
 * Bounded, in case of many distinct `in (…)` lists: past the bound a new text goes unnamed.
 * Statements without parameters stay on the simple protocol, which takes several statements at
 * once (migrations). A statement whose table changed shape under it (a migration run by another
 * node while this one serves) fails once with "cached plan must not change result type"; that
 * connection then names nothing more, and is replaced when the pool retires it.
 */
const names = new Map<string, string>()
export const MAX_NAMED_STATEMENTS = 500
function statementName(text: string): string | undefined {
  let name = names.get(text)
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) names.set(text, (name = `cb${names.size}`))
  return name
}
class PreparingClient extends pg.Client {
  #stale = false
  constructor(config?: string | pg.ClientConfig) {
    super(config)
    // A connection cut while in use (its backend ended, a failover) fails the statement on it, and
    // that failure is the answer; the pool then drops the connection. node-postgres also emits
    // 'error', which the pool listens for only while the connection is idle: unheard, it took the
    // whole process down, node or CLI (tests/postgres/connection-cut.test.ts).
    this.on('error', () => {})
  }
  // pg's query() has a dozen overloads; Kysely calls the (text, values) one and awaits it.
  override query(...args: any[]): any {
    const [text, values] = args as [unknown, unknown]
    const name = !this.#stale && args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0 ? statementName(text) : undefined
    if (name === undefined) return (super.query as (...a: unknown[]) => unknown)(...args)
    return super.query({ name, text: text as string, values: values as unknown[] }).catch((e: { code?: string; message?: string }) => {
      if (e.code !== '0A000' || !e.message?.includes('cached plan')) throw e
      this.#stale = true
      return super.query(text as string, values as unknown[])
    })
  }
}

/** PostgreSQL through node-postgres: a small pool per process (nodes are many, cores are few). */
export function openPostgres(url: string, max = 10): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, Client: PreparingClient })
  // A connection that drops while idle must not take the process down either; the pool replaces it.
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
