// What every benchmark shares: settings, statistics, the real server and its ceiling, the load
// step, CPU meters, browsers with identities, and reading back what was stored. The server, the
// browsers, the keys and the PostgreSQL databases are tests/support's; nothing here copies them.
// Everything listens on and talks to 127.0.0.1 only, and every loop has a time limit.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { PG_ADMIN_URL } from '../tests/support/app.ts'
import { logInWith } from '../tests/support/keys.ts'
import { startListening } from '../tests/support/server.ts'
import { Visitor } from '../tests/support/visitor.ts'

export { makePgDatabase, TEST_REDIS_URL as REDIS_URL } from '../tests/support/app.ts'
export { startServer } from '../tests/support/server.ts'
export { Visitor }

export const ROOT = new URL('../', import.meta.url).pathname
export const log = (s: string) => console.log(s)
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------- settings and numbers ----------

export function num(name: string, dflt: number): number {
  const v = process.env[name]
  const n = v === undefined || v === '' ? dflt : Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`)
  return n
}
/** BENCH_ONLY and the like: which parts to run, comma-separated. */
export const only = (name: string, all: string) => new Set((process.env[name] || all).split(',').map((x) => x.trim()))
/** Node flags for the (first) server under BENCH_PROFILE=DIR. */
export const PROFILE = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
/** Nearest-rank percentile of unsorted samples. */
export function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : NaN
}
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–')
/** "median (run 1, run 2, …)", as BENCHMARKS.md reports figures. */
export const runsOf = (xs: number[], digits = 0) => `${fmt(median(xs), digits)} (${xs.map((x) => fmt(x, digits)).join(', ')})`
export const load1 = () => Number(loadavg()[0]!.toFixed(2))
export const loadText = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`

/** Date, commit, machine and load average: printed at the start and end of every script. */
export function header(what: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })
  const changed = git('status', '--porcelain', '--', 'src', 'views', 'tests', 'migrations').split('\n').filter(Boolean).map((l) => l.slice(3))
  return `${what}: ${new Date().toISOString()}, commit ${git('rev-parse', '--short', 'HEAD').trim()}${changed.length ? ` (uncommitted changes in: ${changed.join(', ')})` : ''}, node ${process.version}, ${cpus().length} CPUs, ${loadText()}`
}

/** `node --import tsx src/cli.ts ARGS` with `env` (killed after 5 minutes): when it was spawned, first printed and exited. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const start = performance.now()
  const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const timer = setTimeout(() => cli.kill('SIGKILL'), 300_000)
  let out = ''
  let printedAt = 0
  cli.stdout.on('data', (d) => ((out += d), (printedAt ||= performance.now())))
  cli.stderr.on('data', (d) => (out += d))
  const code = await new Promise<number | null>((r) => cli.on('exit', r))
  clearTimeout(timer)
  return { start, end: performance.now(), code, out: out.trim(), printedAt }
}

// ---------- CPU of processes ----------

// The machine is shared, so req/s moves with other jobs. The server's own CPU time (utime + stime,
// all its threads) per request hardly does; "waited" is how long its main thread was runnable but
// had no CPU (run-queue delay): high means other jobs took the CPU.
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // USER_HZ
}
const waitSeconds = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9
const cpuOr = (pid: number, dflt: number) => {
  try {
    return cpuSeconds(pid)
  } catch {
    return dflt // gone meanwhile
  }
}

/** Starts counting CPU seconds elsewhere; the returned function gives those used since. */
export type Probe = () => Promise<() => Promise<number>>

/** Every process whose command name is `comm` (e.g. redis-server: other users of it count too). */
export const commandCpu = (comm: string): Probe => async () => {
  const named = (d: string) => {
    try {
      return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm
    } catch {
      return false
    }
  }
  const total = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d) && named(d)).reduce((n, d) => n + cpuOr(Number(d), 0), 0)
  const start = total()
  return async () => total() - start
}

/**
 * The PostgreSQL backends connected to database `name` (the nodes' pools and LISTEN connections),
 * counting in full those that connect meanwhile. The shared WAL writer and checkpointer are not
 * counted, nor other databases' backends.
 */
export const backendCpu = (name: string): Probe => async () => {
  const backends = async () => (await query<{ pid: number }>({ dataDir: '', databaseUrl: PG_ADMIN_URL }, 'select pid from pg_stat_activity where datname = ?', name)).map((r) => Number(r.pid))
  const start = new Map((await backends()).map((p) => [p, cpuOr(p, 0)]))
  return async () => {
    let n = 0
    for (const [p, c] of start) n += cpuOr(p, c) - c
    for (const p of await backends()) if (!start.has(p)) n += cpuOr(p, 0)
    return n
  }
}

export type Metered = { seconds: number; cpu: number; waited: number; extra: number[] }

/** Start metering the processes `pids` (and `extra` probes); the returned function stops. */
export async function meter(pids: number[], extra: Probe[] = []): Promise<() => Promise<Metered>> {
  const sum = (f: (pid: number) => number) => pids.reduce((n, p) => n + f(p), 0)
  const cpu0 = sum(cpuSeconds)
  const wait0 = sum(waitSeconds)
  const since = await Promise.all(extra.map((p) => p()))
  const t0 = performance.now()
  return async () => {
    const seconds = (performance.now() - t0) / 1000
    return { seconds, cpu: sum(cpuSeconds) - cpu0, waited: sum(waitSeconds) - wait0, extra: await Promise.all(since.map((f) => f())) }
  }
}

// ---------- pages, the server's ceiling, and the load step ----------

export type Page = { bytes: Uint8Array; text: string; contentType: string; setCookie: boolean }

export async function fetchPage(url: string, headers: Record<string, string> = {}): Promise<Page> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { bytes, text: new TextDecoder().decode(bytes), contentType: res.headers.get('content-type') ?? 'text/html; charset=UTF-8', setCookie: res.headers.getSetCookie().length > 0 }
}
export const samePage = (a: Page, b: Page) => Buffer.from(a.bytes).equals(Buffer.from(b.bytes))

export type Proc = { url: string; pid: number; output: () => string; stop: () => Promise<void> }
export const procOf = (p: { url: string; proc: { pid?: number }; output: () => string; stop: () => Promise<void> }): Proc => ({ url: p.url, pid: p.proc.pid!, output: p.output, stop: p.stop })

/** bench/ceiling.ts serving `page`'s exact bytes at `path`, in a process of its own (checked). */
export async function startCeiling(dir: string, name: string, page: Page, path: string): Promise<Proc> {
  const file = join(dir, `${name}.body`)
  writeFileSync(file, page.bytes)
  const c = procOf(await startListening(['--import', 'tsx', 'bench/ceiling.ts', file, page.contentType, path], {}))
  const url = c.url + path
  if (!samePage(await fetchPage(url), page)) throw new Error(`the ceiling ${name} does not serve the page's bytes`)
  return { ...c, url }
}

/** One target of the load: `connections` connections, each with one request in flight. */
export type Target = { url: string; connections: number; headers?: Record<string, string>; paths?: () => string }
export type Generated = { requests: number; rpsMean: number; rpsMedian: number; p50: number; p99: number; max: number; bad: number }

/**
 * The load generator, and the one place that knows it is autocannon: all targets at once for
 * `seconds` (or until stop()), req/s summed over targets, latencies the worst target's.
 * `onResponse` sees each response as it completes.
 */
export function generate(targets: Target[], seconds: number, onResponse?: (ms: number, status: number) => void): { stop: () => void; done: Promise<Generated> } {
  const runs = targets.map((t) => {
    const paths = t.paths
    const inst = autocannon({ url: t.url, connections: t.connections, pipelining: 1, timeout: 10, duration: seconds, headers: t.headers, ...(paths ? { requests: [{ setupRequest: (r) => ({ ...r, path: paths() }) }] } : {}) })
    if (onResponse) inst.on('response', (_client, status, _bytes, ms) => onResponse(ms, status))
    return inst
  })
  const done = Promise.all(runs).then((rs) => {
    const add = (f: (r: (typeof rs)[number]) => number) => rs.reduce((n, r) => n + f(r), 0)
    const worst = (f: (r: (typeof rs)[number]) => number) => Math.max(...rs.map(f))
    return { requests: add((r) => r.requests.total), rpsMean: add((r) => r.requests.mean), rpsMedian: add((r) => r.requests.p50), p50: worst((r) => r.latency.p50), p99: worst((r) => r.latency.p99), max: worst((r) => r.latency.max), bad: add((r) => r.errors + r.timeouts + r.non2xx) }
  })
  return { stop: () => runs.forEach((r) => r.stop()), done }
}

export type Load = Generated & { label: string; cpuUsPerReq: number; cpuShare: number; waitShare: number; extraUsPerReq: number[]; load1: number }

/** `warmup` s of unmeasured load, then `duration` s measured, metering the server processes `pids`. */
export async function load(label: string, targets: Target[], pids: number[], o: { duration: number; warmup: number; extra?: Probe[] }): Promise<Load> {
  if (o.warmup > 0) await generate(targets, o.warmup).done
  const stop = await meter(pids, o.extra)
  const g = await generate(targets, o.duration).done
  const m = await stop()
  const per = (s: number) => (s * 1e6) / Math.max(1, g.requests)
  const l: Load = { label, ...g, cpuUsPerReq: per(m.cpu), cpuShare: m.cpu / m.seconds, waitShare: m.waited / m.seconds, extraUsPerReq: m.extra.map(per), load1: load1() }
  log(`  ${label.padEnd(34)} ${fmt(l.rpsMean).padStart(7)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms; server ${fmt(l.cpuUsPerReq)} CPU-µs/req at ${fmt(100 * l.cpuShare)}% of a core, waited ${fmt(100 * l.waitShare)}%` +
    `${l.extraUsPerReq.length ? ` (+ ${l.extraUsPerReq.map((x) => fmt(x)).join(' + ')} µs/req elsewhere)` : ''}; load ${l.load1}${l.bad ? `  (${l.bad} errors/timeouts/non-2xx!)` : ''}`)
  return l
}

// ---------- browsers with identities, and forms sent in a loop ----------

const has = (v: Visitor, cookie: string) => [...v.cookies.keys()].some((k) => k.endsWith(cookie))

/** A browser over real HTTP (tests/support/visitor.ts) that has taken a disposable identity. */
export async function disposable(base: string): Promise<Visitor> {
  const v = new Visitor(base)
  await v.takeIdentity()
  if (!has(v, 'cb_session')) throw new Error('no session after taking a disposable identity')
  return v
}

/** A browser logged in by the GnuPG path with a held key (tests/support/keys.ts), with a fresh form token. */
export async function loggedIn(base: string, key: { publicKey: string; privateKey: string }): Promise<Visitor> {
  const v = new Visitor(base)
  await logInWith(v, key)
  await v.fetch('/identity') // taking an identity gives a new form-token cookie: tokens from before no longer work
  if (!has(v, 'cb_session')) throw new Error('no session after logging in')
  return v
}

/** The same browser (its cookies and last form token) talking to another node. */
export function onNode(v: Visitor, base: string): Visitor {
  const w = new Visitor(base)
  w.cookies = v.cookies
  w.forms.last = v.csrf
  return w
}

export type Sent = { acked: number[]; latencies: number[]; failures: Record<string, number>; seconds: number }

/**
 * Each browser POSTs the forms `form(i, k)` gives it (null: nothing left, it idles), one request in
 * flight each, for `seconds`, with its last form token. A 303 whose Location matches `ack` is
 * acknowledged, and the number in its first group (a post's #pN) recorded.
 */
export async function submitLoop(visitors: Visitor[], seconds: number, form: (i: number, k: number) => { path: string; fields: Record<string, string> } | null, ack: RegExp): Promise<Sent> {
  const s: Sent = { acked: [], latencies: [], failures: {}, seconds: 0 }
  const fail = (why: string) => (s.failures[why] = (s.failures[why] ?? 0) + 1)
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  let last = t0
  await Promise.all(
    visitors.map(async (v, i) => {
      for (let k = 0; performance.now() < deadline; k++) {
        const f = form(i, k)
        if (!f) {
          await sleep(50)
          continue
        }
        const start = performance.now()
        try {
          const { res } = await v.fetch(f.path, { method: 'POST', body: new URLSearchParams({ _csrf: v.csrf, ...f.fields }), signal: AbortSignal.timeout(10_000) })
          const m = ack.exec(res.headers.get('location') ?? '')
          if (res.status === 303 && m) s.latencies.push(performance.now() - start), s.acked.push(Number(m[1] ?? 0))
          else fail(`HTTP ${res.status}`)
        } catch (e) {
          fail((e as Error).message)
        }
        last = performance.now()
      }
    }),
  )
  s.seconds = (last - t0) / 1000
  return s
}

// ---------- what was stored ----------

/** Where a board keeps its data: DATA_DIR's SQLite file, or the PostgreSQL database at databaseUrl. */
export type Where = { dataDir: string; databaseUrl?: string | null }

/** The rows of one query (`?` placeholders): SQLite opened read-only, or a PostgreSQL connection. */
export async function query<T>(where: Where, sql: string, ...params: unknown[]): Promise<T[]> {
  if (!where.databaseUrl) {
    const db = new BetterSqlite3(join(where.dataDir, 'cellboard.db'), { readonly: true, fileMustExist: true })
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }
  const c = new pg.Client({ connectionString: where.databaseUrl })
  await c.connect()
  try {
    let n = 0
    return (await c.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[]
  } finally {
    await c.end()
  }
}

/** A thread's post numbers, in order. */
export const postNumbers = async (where: Where, threadId: number) => (await query<{ number: number }>(where, 'select number from post where thread_id = ? order by number', threadId)).map((r) => Number(r.number))

/** What a posting phase left: every acknowledged number stored, once; stored (after − before) = acknowledged; numbers 1..n. */
export function checkNumbers(numbers: number[], acked: number[], before: number, after = numbers.length) {
  const present = new Set(numbers)
  const ackedSet = new Set(acked)
  return { stored: after - before, lost: [...ackedSet].filter((n) => !present.has(n)).length, unacknowledged: after - before - ackedSet.size, duplicates: acked.length - ackedSet.size, contiguous: numbers.every((n, i) => n === i + 1) }
}
