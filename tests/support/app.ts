import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompiledQuery } from 'kysely'
import pg from 'pg'
import { Redis } from 'ioredis'
import { createApp } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { openDeps, type OpenOptions } from '../../src/compose.ts'
import type { Dialect } from '../../src/db/connect.ts'
import { ensureDefaultCell } from '../../src/services/cells.ts'
import { FormMemory } from './forms.ts'
import { TEST_SETTINGS } from './settings.ts'
import { findMarkers, findMarkersInDir } from './scan.ts'

// The database-facing tests run once per dialect (vitest.config.ts: one project per dialect, as
// Kysely's own suite does): SQLite with ephemeral state in memory, PostgreSQL with it in Redis.
// Each board gets its own SQLite file, or its own PostgreSQL database and Redis key prefix.
export const TEST_DIALECT: Dialect = process.env.CELLBOARD_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite'
export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A fresh PostgreSQL database for one test (or benchmark run: prefix cb_bench), and how to drop it. */
export async function makePgDatabase(prefix = 'cb_test'): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL })
      await a.connect()
      await a.query(`drop database if exists ${name} with (force)`)
      await a.end()
    },
  }
}

/** Removes every Redis key a test made under its prefix (the form-token secret has no TTL). */
/**
 * For a server the test starts as its own process on PostgreSQL: a database of its own and Redis
 * keys of their own (other files' servers run at once, with boards of the same ids); `drop` removes
 * both. Nodes of one board share one such env.
 */
export async function pgServerEnv(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const db = await makePgDatabase()
  const prefix = `cbtest:${randomBytes(6).toString('hex')}:`
  return {
    env: { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix },
    drop: async () => {
      await db.drop()
      await dropRedisPrefix(prefix)
    },
  }
}

export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true })
  await redis.connect()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
  await redis.quit()
}

/** Where PostgreSQL keeps its files (the tests that check forgetting scan all of them). */
export async function pgDataDirectory(): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  const { rows } = await admin.query('show data_directory')
  await admin.end()
  return rows[0].data_directory
}

/**
 * Writes every dirty page to the data files. Run it before a scan that must prove a marker IS
 * there: until a checkpoint a new row may live only in the WAL, where a record that straddles a
 * WAL page boundary has a page header in its middle and can split the marker (seen once in CI: a
 * 60-character signature line not found). Never run it before a scan that must prove a marker is
 * GONE: a checkpoint deletes old WAL segments and could hide a purge that failed to.
 */
export async function pgCheckpoint(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query('checkpoint')
  await admin.end()
}

/**
 * A real, migrated database of the dialect under test, and the app over it. Taking an identity
 * costs nothing here (ABUSE_COSTS=off) unless a test passes ABUSE_COSTS=on; `puzzles` makes the
 * captchas' texts, so a test can know the answers.
 */
export async function makeBoard(env: Record<string, string> = {}, now: () => number = Date.now, opts: Pick<OpenOptions, 'puzzles'> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-test-'))
  const pgdb = TEST_DIALECT === 'postgres' ? await makePgDatabase() : null
  const config: Config = loadConfig({ DATA_DIR: dir, ...TEST_SETTINGS, ...(pgdb ? { DATABASE_URL: pgdb.url, REDIS_URL: TEST_REDIS_URL } : {}), ...env })
  const keyPrefix = `cbtest:${randomBytes(6).toString('hex')}:`
  // The same composition root as the server's (src/compose.ts); an empty database has nothing to forget.
  const { deps, storage, close } = await openDeps(config, { now, keyPrefix, poolSize: 4, forgetAfterMigrating: false, ...opts })
  await ensureDefaultCell(deps)
  const app = createApp(deps)

  /** First column of every row; `?` placeholders, whichever dialect. */
  async function column(query: string, ...params: unknown[]): Promise<unknown[]> {
    let n = 0
    const text = TEST_DIALECT === 'postgres' ? query.replace(/\?/g, () => `$${++n}`) : query
    const r = await storage.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params))
    return r.rows.map((row) => Object.values(row)[0])
  }

  return {
    app,
    deps,
    dir,
    dialect: TEST_DIALECT,
    /** Where this board's ephemeral state sits in Redis (PostgreSQL), or null (SQLite: in memory). */
    redisPrefix: pgdb ? keyPrefix : null,
    client: () => new Client(app),
    column,
    async count(table: string, where = '', ...params: unknown[]): Promise<number> {
      return Number((await column(`select count(*) from ${table} ${where}`, ...params))[0])
    },
    /** Every table with its columns, as the database itself lists them. */
    async schema(): Promise<Map<string, string[]>> {
      const rows = (
        TEST_DIALECT === 'postgres'
          ? await storage.db.executeQuery<{ t: string; c: string }>(CompiledQuery.raw(`select table_name as t, column_name as c from information_schema.columns where table_schema = 'public'`))
          : await storage.db.executeQuery<{ t: string; c: string }>(CompiledQuery.raw(`select m.name as t, p.name as c from sqlite_schema m join pragma_table_info(m.name) p where m.type = 'table' and m.name not like 'sqlite_%'`))
      ).rows
      const out = new Map<string, string[]>()
      for (const r of rows) out.set(r.t, [...(out.get(r.t) ?? []), r.c])
      return out
    },
    /** Where markers occur in the raw bytes of this board's database files. */
    async findMarkers(markers: string[], extra: Record<string, string> = {}) {
      return TEST_DIALECT === 'postgres' ? findMarkersInDir(await pgDataDirectory(), markers, extra) : findMarkers(dir, markers, extra)
    },
    /** The same, for proving markers are there: on PostgreSQL the data files are written first. */
    async findPresentMarkers(markers: string[]) {
      if (TEST_DIALECT === 'postgres') await pgCheckpoint()
      return this.findMarkers(markers)
    },
    async close() {
      await close()
      if (pgdb) await dropRedisPrefix(keyPrefix)
      await pgdb?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

type App = ReturnType<typeof createApp>

/**
 * A browser-like client over app.request(): keeps cookies, remembers the forms it saw (each one's
 * token and key field, stale once the form-token cookie changes), and sends forms urlencoded as a
 * browser with JavaScript off would: the form it last saw for that address, or else a fresh token.
 */
export class Client {
  cookies = new Map<string, string>()
  readonly forms = new FormMemory()
  constructor(private readonly app: App) {}

  /** The last form token seen on any page, for a body built by hand. */
  get csrf(): string {
    return this.forms.last
  }

  async request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await this.app.request(path, { ...init, headers })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=thu, 01 jan 1970/i.test(a))
      if (name.endsWith('cb_csrf') && this.cookies.get(name) !== value) this.forms.forget()
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ res: Response; text: string }> {
    const res = await this.request(path, { headers })
    const text = await res.text()
    this.forms.saw(text)
    return { res, text }
  }

  /** POST a form, with the token (and key field) of the form seen for it; fetch a page first if none. */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ res: Response; text: string }> {
    let seen = this.forms.take(path)
    if (!seen) {
      await this.get('/identity')
      seen = this.forms.take(path)!
    }
    const body = new URLSearchParams({ ...seen, ...fields }).toString()
    const res = await this.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
    const text = await res.text()
    this.forms.saw(text)
    return { res, text }
  }

  /** Start a thread on a board (`/c/CELL/BOARD`) as the identity held; its address, without page or fragment. */
  async startThread(boardPath: string, title: string, body: string): Promise<string> {
    await this.get(boardPath)
    const { res } = await this.post(boardPath, { title, body })
    if (res.status !== 303) throw new Error(`start thread: ${res.status}`)
    return res.headers.get('location')!.split('#')[0]!.split('?')[0]!
  }

  /** Take a disposable identity; returns its fingerprint as the identity page shows it. */
  async takeIdentity(): Promise<string> {
    const { res } = await this.post('/identity/disposable', {})
    if (res.status !== 303) throw new Error(`take identity: ${res.status}`)
    const { text } = await this.get('/identity')
    return /<code class="fpr">([0-9a-f]+)<\/code>/.exec(text)![1]!
  }
}
