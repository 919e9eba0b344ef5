import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { CompiledQuery } from 'kysely'
import type { Db } from './connect.ts'

// Pages built afresh read the database in a thread of their own (issue 15). better-sqlite3 answers
// on the thread that asks, so on SQLite a page missed by the cache spent about 40 % of the event
// loop's time inside SQLite (a `perf` profile at 1,000,000 posts: its reads of the file, B-tree
// walks, the rows made into strings), and the loop was the one busy thread on a 2-core machine a
// third idle. Here a read-only connection in a worker thread runs those statements meanwhile;
// the loop renders, compresses and answers. Measured at 1,000,000 posts, every request a miss,
// three alternating pairs on one database (BENCHMARKS.md): 641–746 thread pages a second against
// 423–589, p99 33–40 ms against 41–56.
//
// What it reads is what a new connection sees: in WAL mode each statement begins a read of the
// last commit, so a read asked for after a write committed (on the loop, synchronously) sees it,
// and what was forgotten is gone from it as from any other. No transaction is held between
// statements. Writes, and reads inside a write's transaction, stay on the loop's connection.

/** Runs a compiled SELECT and answers its rows. */
export type ReadRows = <R>(query: CompiledQuery<R>) => Promise<R[]>

/** A compiled SELECT's rows through `read` if given (Storage.readRows), else on `db`. */
export const readOn = async <R>(db: Db, read: ReadRows | null | undefined, query: CompiledQuery<R>): Promise<R[]> => (read ? read(query) : (await db.executeQuery(query)).rows)
export type Reader = { read: ReadRows; close(): Promise<void> }

// What the worker runs: plain CommonJS source (a transpiled function's text may call helpers the
// worker does not have), as the loop's connection is set (connect.ts): SQLite's own 2 MB cache,
// a wait for a lock, statements kept prepared (bounded).
const source = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.file, { readonly: true, fileMustExist: true })
db.pragma('cache_size = -2000')
db.pragma('busy_timeout = 5000')
parentPort.postMessage({ ready: true })
const statements = new Map()
parentPort.on('message', (m) => {
  try {
    let s = statements.get(m.sql)
    if (!s) {
      if (statements.size >= 500) statements.clear()
      statements.set(m.sql, (s = db.prepare(m.sql)))
    }
    parentPort.postMessage({ id: m.id, rows: s.all(...m.parameters) })
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) })
  }
})`
const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3')

/**
 * A read-only connection to `file` in a worker thread, started at the first read. Should the
 * thread end (an error outside any statement), the reads waiting on it fail and the next read
 * starts another; one that ends before its connection is open (the file gone, the module not
 * loaded) fails the reads of the next second at once, rather than a thread started for each.
 */
export function openReader(file: string): Reader {
  let worker: Worker | null = null
  let closed = false
  let next = 0
  let failedStart: { at: number; error: Error } | null = null
  const waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (e: Error) => void }>()
  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e)
    waiting.clear()
  }
  const start = () => {
    // No execArgv: the source is plain CommonJS, and the parent's `--import tsx` would load a
    // TypeScript loader into every such thread. A small heap of its own: what it keeps is a few
    // prepared statements, and what it makes (a page's rows, a few hundred KB at most) is garbage
    // at once; V8's default would let its young generation grow to 16 MB semispaces over the
    // minutes, memory the server's does not give back (issue 15's memory goal).
    const w = new Worker(source, { eval: true, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 }, workerData: { file, module: betterSqlite3 } })
    let ready = false
    // Like a socket waiting for an answer: it keeps the process alive only while reads wait.
    w.unref()
    w.on('message', (m: { id: number; rows?: unknown[]; error?: string; ready?: true }) => {
      if (m.ready) return void (ready = true)
      const wait = waiting.get(m.id)
      if (!wait) return
      waiting.delete(m.id)
      if (waiting.size === 0) w.unref()
      if (m.error !== undefined) wait.reject(new Error(m.error))
      else wait.resolve(m.rows!)
    })
    const gone = (e: Error) => {
      if (worker !== w) return
      worker = null
      if (!ready) failedStart = { at: Date.now(), error: e }
      failAll(e)
    }
    w.on('error', gone)
    w.on('exit', (code) => gone(new Error(`the database reader thread ended (${code})`)))
    return w
  }
  return {
    read<R>(query: CompiledQuery<R>): Promise<R[]> {
      if (closed) return Promise.reject(new Error('the database reader is closed'))
      if (failedStart && Date.now() - failedStart.at < 1000) return Promise.reject(failedStart.error)
      const w = (worker ??= start())
      const id = ++next
      return new Promise<R[]>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject })
        w.ref()
        try {
          w.postMessage({ id, sql: query.sql, parameters: query.parameters })
        } catch (e) {
          // A parameter that cannot be copied to the thread: this read fails alone.
          waiting.delete(id)
          if (waiting.size === 0) w.unref()
          reject(e as Error)
        }
      })
    },
    async close() {
      closed = true
      const w = worker
      worker = null
      failAll(new Error('the database reader is closed'))
      await w?.terminate()
    },
  }
}
