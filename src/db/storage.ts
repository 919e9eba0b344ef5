import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { migrateToLatest, openDatabase, openPostgres, type Db, type Dialect } from './connect.ts'
import { checkpointTruncate, dataVersion } from './forget-sqlite.ts'
import { groupCommit } from './group-commit.ts'
import { openReader, type ReadRows } from './sqlite-reader.ts'
import { replyWriter } from './posts.ts'
import { checkForgettingSettings, rewriteAndCheckpoint } from './forget-postgres.ts'
import type { Matching, PostSearch } from './search.ts'
import { matchingPostsSqlite } from './search-sqlite.ts'
import { matchingPostsPostgres } from './search-postgres.ts'

/**
 * The database as the rest of the code sees it, whichever dialect: the Kysely instance, plus the
 * few things that differ — how removed content is made to leave the files, how one process
 * learns that another changed what it may have cached, and full-text search.
 */
export type Storage = {
  dialect: Dialect
  db: Db
  /** After deletes: return only when the removed content is gone from the database files. */
  finishForgetting(): Promise<{ attempts: number }>
  /** The ids of the newest posts matching every word, on these boards (search-sqlite.ts, search-postgres.ts). */
  searchPosts(q: PostSearch): Promise<Matching>
  /**
   * Runs a SELECT that builds a page (a thread's posts, a board's list), outside any transaction.
   * SQLite: in a read-only connection's own thread (sqlite-reader.ts), so the event loop goes on
   * meanwhile. PostgreSQL: on a pool of its own, of about as many connections as the machine has
   * CPUs (openStorage, `reads`). Null: run it on `db` as any other.
   */
  readRows: ReadRows | null
  /** Tell other processes and nodes that cached pages with these tags (null: all) are stale. */
  announce(tags: string[] | null): Promise<void>
  /**
   * The same telling as a pg_notify channel and payload, for a statement that writes to send when
   * it commits (one round trip less); null where a write is noticed without it (SQLite).
   */
  notice(tags: string[] | null): { channel: string; payload: string } | null
  /**
   * Run a write in a transaction, committed with the others that arrive at the same time where a
   * commit costs an fsync on the event loop (SQLite: group-commit.ts); a transaction of its own on
   * PostgreSQL, whose commits already overlap. Resolves once committed.
   */
  commitTogether<T>(work: (tx: Db) => Promise<T>): Promise<T>
  /**
   * A reply whose HTML is ready, by a key that may have a row, written at once with the notice
   * (PostgreSQL: one statement, one write in flight per thread, the replies meanwhile together;
   * db/posts.ts, replyWriter). Undefined back: the key or the thread has no row. Null on SQLite,
   * whose posts go through commitTogether.
   */
  appendReply: ReturnType<typeof replyWriter> | null
  /** Hear what other processes announce (SQLite: notice any write by another connection). */
  watch(onChange: (tags: string[] | null) => void): Promise<() => Promise<void>>
  /** Problems with server settings that would keep removed content (empty when fine). */
  forgettingProblems(): Promise<string[]>
  close(): Promise<void>
}

const CHANNEL = 'cellboard_invalidate'
/** How soon a lost listening connection is made again, doubling up to the most. */
const RETRY_FIRST_MS = 250
const RETRY_MAX_MS = 5_000
/** How long connecting, or any question on the listening connection, may take before it counts as lost. */
const LISTENER_TIMEOUT_MS = 5_000
/** How often the listening connection is asked whether it is there (a connection cut without a word says nothing). */
const HEARTBEAT_MS = 30_000
/**
 * PostgreSQL refuses a notification's payload from 8,000 bytes on: a change to every board of a
 * large cell (setCellTiers, about 700 boards) would fail to be told at all. Past this, the notice
 * says "everything" instead, which every node can act on.
 */
const PAYLOAD_MAX = 7_000

/** How the listening connection is kept (tests shorten them). */
export type ListenerTimes = { heartbeatMs: number; timeoutMs: number }

export async function openStorage(opts: { databaseUrl: string | null; dataDir: string; poolSize?: number; readConnections?: number; listener?: ListenerTimes }): Promise<Storage> {
  if (!opts.databaseUrl) {
    mkdirSync(opts.dataDir, { recursive: true })
    const file = join(opts.dataDir, 'cellboard.db')
    const { db } = openDatabase(file)
    const reader = openReader(file)
    return {
      dialect: 'sqlite',
      db,
      readRows: reader.read,
      finishForgetting: () => checkpointTruncate(db),
      searchPosts: (q) => matchingPostsSqlite(db, q, reader.read),
      announce: async () => {},
      notice: () => null,
      commitTogether: groupCommit(db),
      appendReply: null,
      async watch(onChange) {
        // Another process (the CLI) writing is visible as a new data_version: drop everything.
        let seen = await dataVersion(db)
        const timer = setInterval(async () => {
          const v = await dataVersion(db).catch(() => seen)
          if (v !== seen) onChange(null)
          seen = v
        }, 1000)
        timer.unref()
        return async () => clearInterval(timer)
      },
      forgettingProblems: async () => [],
      close: async () => {
        await reader.close()
        await db.destroy()
      },
    }
  }
  const url = opts.databaseUrl
  const { db } = openPostgres(url, opts.poolSize)
  // The reads that build a page missed by the cache go through a pool of their own, as many
  // connections as CPUs (PG_READ_CONNECTIONS), not through the ten the writes share. Ten such reads
  // at once are ten backends runnable on a 2-core machine beside the node's event loop, each
  // evicting buffers the others want: at 1,000,000 posts, every request a miss, c=10, PostgreSQL
  // spent 2,000–2,400 CPU-µs a thread page through ten connections against 850–990 through two,
  // and the node served 330–360 thread pages a second against 510–570 (BENCHMARKS.md). A request
  // waits for a connection in the pool's queue instead, where it costs nothing. The pool is not the
  // writes': a reply waiting to commit never waits behind readers, nor they behind it. Each read is
  // one statement and sees every commit before it, as on `db`.
  const reads = openPostgres(url, opts.readConnections ?? 2)
  // Our own announcements come back to us too: mark them so we do not act on them twice.
  const self = randomBytes(6).toString('hex')
  const notice = (tags: string[] | null) => {
    const listed = tags ? tags.join(',') : '*'
    return { channel: CHANNEL, payload: `${self} ${listed.length > PAYLOAD_MAX ? '*' : listed}` }
  }
  return {
    dialect: 'postgres',
    db,
    readRows: async (query) => (await reads.db.executeQuery(query)).rows,
    finishForgetting: () => rewriteAndCheckpoint(db),
    searchPosts: (q) => matchingPostsPostgres(db, q),
    async announce(tags) {
      const n = notice(tags)
      await sql`select pg_notify(${n.channel}, ${n.payload})`.execute(db)
    },
    notice,
    commitTogether: (work) => db.transaction().execute(work),
    appendReply: replyWriter(db),
    watch: (onChange) => listenForChanges(url, self, onChange, opts.listener ?? { heartbeatMs: HEARTBEAT_MS, timeoutMs: LISTENER_TIMEOUT_MS }),
    forgettingProblems: () => checkForgettingSettings(db),
    close: async () => {
      await reads.db.destroy()
      await db.destroy()
    },
  }
}

/**
 * The one connection a node hears the others on (LISTEN). It can be lost: PostgreSQL restarted or
 * failed over, idle_session_timeout, a NAT that forgot it (which says nothing: a heartbeat asks
 * every 30 s). While it is down the node cannot know what changed elsewhere, and what it
 * caches (pages, middles, boards' access rules) has no expiry of its own; so everything is dropped
 * when it is lost, after each attempt to listen again that fails (what was kept meanwhile is stale
 * at most that long), and once it listens anew (a notice may have been missed in between).
 * The first attempt's failure is the caller's: a node that cannot listen does not start.
 */
async function listenForChanges(url: string, self: string, onChange: (tags: string[] | null) => void, times: ListenerTimes): Promise<() => Promise<void>> {
  let current: pg.Client | null = null
  let heartbeat: NodeJS.Timeout | undefined
  let retry: NodeJS.Timeout | undefined
  let pending: Promise<void> | undefined
  let closed = false
  const tell = (tags: string[] | null) => {
    try {
      onChange(tags)
    } catch {
      // Dropping what is kept does not fail; should it, the connection is no less there.
    }
  }
  // end() on a connection cut without a word waits for TCP to give up: not awaited past a second.
  const end = (client: pg.Client) => Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())])
  const lost = (client: pg.Client) => {
    if (client !== current) return // an attempt that failed, or one let go of already
    current = null
    clearInterval(heartbeat)
    void end(client)
    if (closed) return
    tell(null)
    again(RETRY_FIRST_MS)
  }
  const listen = async () => {
    const client = new pg.Client({ connectionString: url, application_name: 'cellboard listener', keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: times.timeoutMs, query_timeout: times.timeoutMs })
    client.on('error', () => lost(client))
    client.on('end', () => lost(client))
    client.on('notification', (n) => {
      const [from, tags] = (n.payload ?? '').split(' ')
      if (from !== self) tell(tags === '*' || !tags ? null : tags.split(','))
    })
    try {
      await client.connect()
      await client.query(`listen ${CHANNEL}`)
    } catch (e) {
      void end(client)
      throw e
    }
    current = client
    heartbeat = setInterval(() => void client.query('select 1').catch(() => lost(client)), times.heartbeatMs)
    heartbeat.unref()
  }
  const again = (ms: number) => {
    retry = setTimeout(() => {
      if (closed) return
      pending = listen().then(
        () => void (closed || tell(null)),
        () => {
          if (closed) return
          tell(null)
          again(Math.min(ms * 2, RETRY_MAX_MS))
        },
      )
    }, ms)
    retry.unref()
  }
  await listen()
  return async () => {
    closed = true
    clearTimeout(retry)
    await pending
    clearInterval(heartbeat)
    const client = current
    current = null
    if (client) await end(client)
  }
}

/**
 * Migrate, and when a migration ran, make what it removed leave the files: a migration may drop
 * content (2026113001 dropped the revoked keys' armored copies), and PostgreSQL's DROP COLUMN only
 * hides a column until the table is rewritten. Once per upgrade, at start (server and CLI).
 */
export async function migrateAndForget(storage: Storage): Promise<string[]> {
  const applied = await migrateToLatest(storage.db)
  if (applied.length > 0) await storage.finishForgetting()
  return applied
}
