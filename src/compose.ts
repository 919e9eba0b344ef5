import { t } from './i18n/index.ts'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from './config.ts'
import { migrateToLatest } from './db/connect.ts'
import { migrateAndForget, openStorage, type Storage } from './db/storage.ts'
import { UNKNOWN_KEY_REVOCATIONS_PER_MINUTE } from './domain/limits.ts'
import { Budget } from './ephemeral/costs.ts'
import { Gate } from './ephemeral/gate.ts'
import { openEphemeral } from './ephemeral/index.ts'
import type { PuzzleMaker } from './domain/costs.ts'
import { SEARCH_DEADLINE_MS } from './domain/search.ts'
import { randomPuzzle } from './services/costs.ts'
import type { Deps } from './services/deps.ts'
import { PageCache } from './services/page-cache.ts'

// The one composition root: the server, the CLI, the tests and the benchmarks all get their
// dependencies here, so what a use case may touch is assembled the same way everywhere.
export type Opened = {
  deps: Deps
  storage: Storage
  /** Once every announcement begun is done (retried first), then the stores closed: the first announcement that failed, if any. */
  close(): Promise<{ unannounced?: Error }>
}

export type OpenOptions = {
  /** The clock the use cases read (tests move it). */
  now?: () => number
  /** Redis keys live under this prefix (tests give each board its own). */
  keyPrefix?: string
  /** PostgreSQL connections in this process's pool. */
  poolSize?: number
  /** Drop cached pages when another process or node announces a change (a server does). */
  watch?: boolean
  /** Refuse to create the SQLite file: the operator's CLI must act on an existing board. */
  mustExist?: boolean
  /**
   * After applying migrations, make what they removed leave the files (the server and the CLI).
   * Tests migrate empty databases, where there is nothing to forget: they skip the rewrite.
   */
  forgetAfterMigrating?: boolean
  /** Makes the captchas' texts (random; tests give one that tells them the answers). */
  puzzles?: PuzzleMaker
}

/** Where the SQLite file of a configuration lives. */
export const sqliteFile = (config: Config) => resolve(join(config.dataDir, 'cellboard.db'))

/**
 * Open the database (migrated, and what a migration removed made to leave the files), the
 * ephemeral stores (memory, or Redis with REDIS_URL) and the page cache, and wire them together.
 */
export async function openDeps(config: Config, opts: OpenOptions = {}): Promise<Opened> {
  if (opts.mustExist && !config.databaseUrl && !existsSync(sqliteFile(config))) {
    throw new MissingDatabase(t('cli.no_board_here', { file: sqliteFile(config), dir: config.dataDir }))
  }
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: opts.poolSize, readConnections: config.pgReadConnections })
  let ephemeral: Awaited<ReturnType<typeof openEphemeral>> | undefined
  let unwatch: (() => Promise<void>) | undefined
  try {
    if (opts.forgetAfterMigrating === false) await migrateToLatest(storage.db)
    else await migrateAndForget(storage)
    ephemeral = await openEphemeral({ redisUrl: config.redisUrl, allowPersistence: config.redisAllowPersistence, sessionIdleMs: config.sessionIdleMs, maxSessions: config.maxSessions, now: opts.now, keyPrefix: opts.keyPrefix ?? config.redisKeyPrefix })
    // A write here is announced, so other processes and nodes drop the pages they cached.
    // A NOTIFY that fails (a connection lost, PostgreSQL restarting) is tried again twice; then the
    // server says so, and the CLI, which awaits every announcement before it closes, exits 1 saying
    // what to run: the other nodes would otherwise keep what the write replaced with no expiry.
    const onUnheard = opts.watch ? (e: Error) => console.error(t('app.log_announce_failed', { error: e.message })) : undefined
    const cache = new PageCache((tags) => announceRetrying(storage, tags), { maxBytes: config.pageCacheBytes, onUnheard })
    // A board's pages dropped elsewhere (a flood began there) are its flood hold to ask again too.
    const holds = ephemeral.floodHolds
    if (opts.watch) unwatch = await storage.watch((tags) => (cache.drop(tags), holds.forget(tags)))
    const costs = { drawBudget: new Budget(config.captchaRendersPerSecond, 1), questionBudget: new Budget(config.questionAnswersPerMinute, 60), revocationBudget: new Budget(UNKNOWN_KEY_REVOCATIONS_PER_MINUTE, 60), puzzles: opts.puzzles ?? randomPuzzle }
    const deps: Deps = { db: storage.db, storage, config, ...ephemeral, ...costs, cache, searches: new Gate(config.searches.atOnce, config.searches.waiting, SEARCH_DEADLINE_MS), now: opts.now ?? Date.now }
    const opened = ephemeral
    return {
      deps,
      storage,
      async close() {
        // Before the database closes: a short-lived CLI's announcement would otherwise be cut off.
        const unannounced = await cache.settled()
        await unwatch?.()
        await opened.close()
        await storage.close()
        return { unannounced }
      },
    }
  } catch (e) {
    await ephemeral?.close().catch(() => {})
    await storage.close().catch(() => {})
    throw e
  }
}

/**
 * Attempts at one announcement, the wait before the second (doubled before the third), and how
 * long one may take: a database that stops answering without closing the connection would
 * otherwise hold the CLI (and a server's shutdown) until TCP gives up.
 */
const ANNOUNCE_ATTEMPTS = 3
const ANNOUNCE_RETRY_MS = 100
const ANNOUNCE_TIMEOUT_MS = 5000

export async function announceRetrying(storage: Pick<Storage, 'announce'>, tags: string[] | null, timeoutMs = ANNOUNCE_TIMEOUT_MS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs) // i18n-exempt: joins a message already translated
      timer.unref()
    })
    try {
      return await Promise.race([storage.announce(tags), late])
    } catch (e) {
      if (attempt === ANNOUNCE_ATTEMPTS) throw e
      await new Promise((r) => setTimeout(r, ANNOUNCE_RETRY_MS * 2 ** (attempt - 1)))
    } finally {
      clearTimeout(timer)
    }
  }
}

/** The CLI was pointed at a folder with no board in it. */
export class MissingDatabase extends Error {}
