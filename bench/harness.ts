// What every benchmark shares: settings, statistics, the real server and its ceiling, the load
// step, CPU meters, browsers with identities, and reading back what was stored. The server, the
// browsers, the keys and the PostgreSQL databases are tests/support's; nothing here copies them.
// Everything listens on and talks to 127.0.0.1 only, and every loop has a time limit.
import { execFileSync, spawn } from 'node:child_process'
import http from 'node:http'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { solveChallenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import autocannon from 'autocannon'
import BetterSqlite3 from 'better-sqlite3'
import * as openpgp from 'openpgp'
import pg from 'pg'
import { GZIP_QUICK_ABOVE_DEFAULT } from '../src/config.ts'
import { dropRedisPrefix, makePgDatabase as makeTestPgDatabase, PG_ADMIN_URL, TEST_REDIS_URL } from '../tests/support/app.ts'
import { clearsignTimes } from '../tests/support/costly.ts'
import { preparePostgres } from '../tests/support/global-setup.ts'
import { heldKey, logInWith } from '../tests/support/keys.ts'
import { type RunningServer, startFlags, startListening, startServer } from '../tests/support/server.ts'
import { Visitor } from '../tests/support/visitor.ts'

export { TEST_REDIS_URL as REDIS_URL } from '../tests/support/app.ts'

let prepared: Promise<void> | undefined
/**
 * A PostgreSQL database of its own for one run, with Redis keys of its own beside it (as the
 * tests' pgServerEnv does): under the default prefix a run's ephemeral state carried over into the
 * next run's board of the same id (a board left in flood by step 2's posters is not cached whole,
 * so the next run's first visit measured a page built per request). `nodeEnv` is a node's
 * environment; `drop` removes both.
 */
export async function makePgDatabase(prefix?: string) {
  // PostgreSQL as the tests find it, wal_recycle off as the README asks of an operator: a node on
  // a stock cluster warns at start, which fails the run (bench/pages.ts).
  await (prepared ??= preparePostgres())
  const db = await makeTestPgDatabase(prefix)
  const redisPrefix = `${db.name}:`
  return {
    ...db,
    redisPrefix,
    nodeEnv: (dataDir: string): Record<string, string> => ({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix, DATA_DIR: dataDir }),
    drop: async () => {
      await db.drop()
      await dropRedisPrefix(redisPrefix)
    },
  }
}
export { Visitor }

export const ROOT = new URL('../', import.meta.url).pathname
export const log = (s: string) => console.log(s)
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `f` in a fresh temporary folder, removed afterwards whatever happens. */
export async function inTempDir<T>(name: string, f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `cellboard-${name}-`))
  try {
    return await f(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------- settings and numbers ----------

export function num(name: string, dflt: number): number {
  const n = process.env[name] ? Number(process.env[name]) : dflt
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`)
  return n
}
/** BENCH_ONLY and the like: which parts to run, comma-separated. */
export const only = (name: string, all: string) => new Set((process.env[name] || all).split(',').map((x) => x.trim()))
/** Node flags for the (first) server under BENCH_PROFILE=DIR. */
export const PROFILE = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
export function median(xs: number[]): number {
  const [s, m] = [sorted(xs), Math.floor(xs.length / 2)]
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
/** Nearest-rank percentile of unsorted samples. */
export const pct = (xs: number[], q: number) => sorted(xs)[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] ?? NaN
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–')
/** "median (run 1, run 2, …)", as BENCHMARKS.md reports figures. */
export const runsOf = (xs: number[], digits = 0) => `${fmt(median(xs), digits)} (${xs.map((x) => fmt(x, digits)).join(', ')})`
/** A Markdown table: `head` is the header's cells joined by ' | ', each row likewise; the first column left, the others right. */
export const table = (head: string, rows: string[]) => log([`| ${head} |`, `|---|${'---:|'.repeat(head.split(' | ').length - 1)}`, ...rows.map((r) => `| ${r} |`)].join('\n'))

/** `f` called `n` times after `warm` unmeasured (call k gets k): median and p99 µs, and this process's CPU-µs per call and CPU ÷ wall. */
export async function timeCalls(n: number, warm: number, f: (k: number) => Promise<unknown>) {
  let k = 0
  while (k < warm) await f(k++)
  const times: number[] = []
  const [cpu0, t0] = [process.cpuUsage(), performance.now()]
  for (let i = 0; i < n; i++, k++) {
    const s = performance.now()
    await f(k)
    times.push((performance.now() - s) * 1000)
  }
  const cpu = process.cpuUsage(cpu0)
  return { median: median(times), p99: pct(times, 0.99), cpuUs: (cpu.user + cpu.system) / n, cpuShare: (cpu.user + cpu.system) / 1000 / (performance.now() - t0) }
}
export const load1 = () => Number(loadavg()[0]!.toFixed(2))
export const loadText = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`

/** Date, commit, machine and load average: printed at the start and end of every script. */
export function header(what: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })
  const changed = git('status', '--porcelain', '--', 'src', 'views', 'tests', 'migrations').split('\n').filter(Boolean).map((l) => l.slice(3))
  return `${what}: ${new Date().toISOString()}, commit ${git('rev-parse', '--short', 'HEAD').trim()}${changed.length ? ` (uncommitted changes in: ${changed.join(', ')})` : ''}, node ${process.version}, ${cpus().length} CPUs, ${loadText()}`
}

// ---------- processes: the server, its ceiling, the CLI, and their CPU ----------

export type Proc = Omit<RunningServer, 'dataDir'> & { pid: number }
const started: Proc[] = []
process.on('exit', () => started.forEach((p) => p.proc.kill())) // a run that failed leaves no process behind
const withPid = (p: Omit<RunningServer, 'dataDir'>): Proc => (started.push({ ...p, pid: p.proc.pid! }), started.at(-1)!)

/** The real server (tests/support/server.ts: src/main.ts on 127.0.0.1, a free port), with its pid. */
export const startNode = async (env: Record<string, string>, nodeArgs: string[] = []) =>
  // As a node runs by default, where the tests' settings differ (tests/support/settings.ts).
  withPid(await startServer({ GZIP_QUICK_ABOVE: String(GZIP_QUICK_ABOVE_DEFAULT), ...env }, nodeArgs))

/** bench/ceiling.ts serving `page`'s exact bytes at `path`, in a process of its own (checked). */
export async function startCeiling(dir: string, name: string, page: Page, path: string): Promise<Proc> {
  writeFileSync(join(dir, `${name}.body`), page.bytes)
  const c = withPid(await startListening([...startFlags(), '--import', 'tsx', 'bench/ceiling.ts', join(dir, `${name}.body`), page.contentType, path], {}))
  if (!samePage(await fetchPage(c.url + path), page)) throw new Error(`the ceiling ${name} does not serve the page's bytes`)
  return { ...c, url: c.url + path }
}

/** `node --import tsx src/cli.ts ARGS` with `env` (killed after 5 minutes): when it was spawned, first printed and exited. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const start = performance.now()
  const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const timer = setTimeout(() => cli.kill('SIGKILL'), 300_000)
  let [out, printedAt] = ['', 0]
  cli.stdout.on('data', (d) => ((out += d), (printedAt ||= performance.now())))
  cli.stderr.on('data', (d) => (out += d))
  const code = await new Promise<number | null>((r) => cli.on('exit', r))
  clearTimeout(timer)
  return { start, end: performance.now(), code, out: out.trim(), printedAt }
}

// The machine is shared, so req/s moves with other jobs. A process's own CPU time (utime + stime,
// all its threads) per request hardly does; "waited" is how long its main thread was runnable but
// had no CPU (run-queue delay): high means other jobs took the CPU.
const read = (file: string) => { try { return readFileSync(file, 'utf8') } catch { return '' } } // '': the process is gone
export const cpuSeconds = (pid: number) => read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ').slice(11, 13).reduce((n, x) => n + Number(x) / 100, 0) ?? 0 // USER_HZ
const waitSeconds = (pid: number) => Number(read(`/proc/${pid}/schedstat`).split(' ')[1] ?? 0) / 1e9

/** Starts counting CPU seconds elsewhere; the returned function gives those used since. */
export type Probe = () => Promise<() => Promise<number>>

/** Every process named `comm` (e.g. redis-server; other users of it count too). */
export const commandCpu = (comm: string): Probe => async () => {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && read(`/proc/${d}/comm`).trim() === comm).map(Number)
  const total = () => pids.reduce((n, p) => n + cpuSeconds(p), 0)
  const start = total()
  return async () => total() - start
}

/** The PostgreSQL backends of database `name` (the nodes' pools, LISTEN), those that connect meanwhile in full; not the shared WAL writer or checkpointer. */
export const backendCpu = (name: string): Probe => async () => {
  const backends = async () => (await query<{ pid: number }>({ dataDir: '', databaseUrl: PG_ADMIN_URL }, 'select pid from pg_stat_activity where datname = ?', name)).map((r) => Number(r.pid))
  const start = new Map((await backends()).map((p) => [p, cpuSeconds(p)]))
  return async () => [...new Set([...start.keys(), ...(await backends())])].reduce((n, p) => n + Math.max(0, cpuSeconds(p) - (start.get(p) ?? 0)), 0)
}

/** Start metering the processes `pids` (and `extra` probes); the returned function stops. */
export async function meter(pids: number[], extra: Probe[] = []): Promise<() => Promise<{ seconds: number; cpu: number; waited: number; extra: number[] }>> {
  const sum = (f: (pid: number) => number) => pids.reduce((n, p) => n + f(p), 0)
  const [cpu0, wait0, since, t0] = [sum(cpuSeconds), sum(waitSeconds), await Promise.all(extra.map((p) => p())), performance.now()]
  return async () => ({ seconds: (performance.now() - t0) / 1000, cpu: sum(cpuSeconds) - cpu0, waited: sum(waitSeconds) - wait0, extra: await Promise.all(since.map((f) => f())) })
}

// ---------- pages and the load step ----------

export type Page = { bytes: Uint8Array; text: string; contentType: string; setCookie: boolean }

export async function fetchPage(url: string, headers: Record<string, string> = {}): Promise<Page> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { bytes, text: new TextDecoder().decode(bytes), contentType: res.headers.get('content-type') ?? 'text/html; charset=UTF-8', setCookie: res.headers.getSetCookie().length > 0 }
}
export const samePage = (a: Page, b: Page) => Buffer.from(a.bytes).equals(Buffer.from(b.bytes))

/** One target of the load: `connections` connections, each with one request in flight; `paths` gives each request's path. */
export type Target = { url: string; connections: number; headers?: Record<string, string>; paths?: () => string }
export type Generated = { requests: number; rpsMean: number; rpsMedian: number; p50: number; p99: number; max: number; bad: number }

/**
 * The load generator, and the one place that knows it is autocannon: all targets at once for
 * `seconds` (or until stop()), req/s summed over targets, latencies the worst target's.
 * `onResponse` sees each response as it completes.
 */
export function generate(targets: Target[], seconds: number, onResponse?: (ms: number, status: number) => void): { stop: () => void; done: Promise<Generated> } {
  const runs = targets.map(({ url, connections, headers, paths }) => {
    const inst = autocannon({ url, connections, headers, pipelining: 1, timeout: 10, duration: seconds, ...(paths ? { requests: [{ setupRequest: (r) => ({ ...r, path: paths() }) }] } : {}) })
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

// ---------- keys, browsers with identities, and forms sent in a loop ----------

export type Signer = Awaited<ReturnType<typeof heldKey>> & { sign: (text: string) => Promise<string> }
/** A key the person holds (tests/support/keys.ts), parsed once to clearsign many texts as gpg would. */
export async function signer(): Promise<Signer> {
  const k = await heldKey()
  const parsed = await openpgp.readPrivateKey({ armoredKey: k.privateKey })
  return { ...k, sign: (text) => clearsignTimes(parsed, text, 1) }
}

/** Solve a form's proof-of-work challenge (cost_pow) as static/pow.js does, in this process: the cost_solution field. */
export async function solvePow(pow: string): Promise<string> {
  const s = await solveChallenge({ challenge: JSON.parse(Buffer.from(pow, 'base64url').toString('utf8')), deriveKey })
  return `${s!.counter}:${s!.derivedKey}`
}

/** `n` keys the people hold, made at once. */
export const signers = (n: number) => Promise.all(Array.from({ length: n }, () => signer()))

/** A browser over real HTTP (tests/support/visitor.ts) that has taken a disposable identity. */
export async function disposable(base: string): Promise<Visitor> {
  const v = new Visitor(base)
  await v.takeIdentity()
  return v
}

/** Log a browser (a Visitor, or the tests' in-process Client) in by pasting a held key's signed challenge; it then holds a fresh form token. */
export async function logIn<B extends Parameters<typeof logInWith>[0]>(b: B, key: { publicKey: string; privateKey: string }, via: 'gpg' | 'browser' = 'gpg'): Promise<B> {
  await logInWith(b, key, via)
  await b.get('/identity') // taking an identity gives a new form-token cookie: tokens from before no longer work
  return b
}
export const loggedIn = (base: string, key: { publicKey: string; privateKey: string }) => logIn(new Visitor(base), key)

/** The same browser (its cookies and last form token) talking to another node. */
export function onNode(v: Visitor, base: string): Visitor {
  const w = new Visitor(base)
  w.cookies = v.cookies
  w.forms.last = v.csrf
  return w
}

/**
 * POST a form as `v` (its cookies) over node:http with a kept-alive connection: the status and
 * Location. The posting benchmarks' load generator shares the machine with the server, its database
 * and Redis; fetch (undici) cost it about 1.3 ms of CPU per post (issue 15), more than PostgreSQL's
 * backend spends on the post, and this about a fifth of that.
 */
const agents = new WeakMap<Visitor, http.Agent>()
function postForm(v: Visitor, path: string, body: string, timeoutMs: number): Promise<{ status: number; location: string }> {
  let agent = agents.get(v)
  if (!agent) agents.set(v, (agent = new http.Agent({ keepAlive: true, maxSockets: 1 })))
  const payload = Buffer.from(body)
  return new Promise((resolve, reject) => {
    const req = http.request(v.base + path, {
      method: 'POST', agent, timeout: timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': payload.length, ...(v.cookies.size ? { cookie: v.cookie } : {}) },
    }, (res) => {
      v.keep(res.headers['set-cookie'] ?? [])
      // A refusal's page may hand out a new form token, as fetch's Visitor would have seen.
      const chunks: Buffer[] = []
      if (res.statusCode === 303) res.resume()
      else res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        if (chunks.length) v.forms.saw(Buffer.concat(chunks).toString('utf8'))
        resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? '') })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

/**
 * Each browser POSTs the forms `form(i, k)` gives it (null: nothing left, it idles), one request in
 * flight each, for `seconds`, with its last form token. A 303 whose Location matches `ack` is
 * acknowledged, and the number in its first group (a post's #pN) recorded. The server processes
 * `pids` (and `extra` probes) are metered meanwhile: CPU-µs per acknowledged post, share of a core.
 */
export async function submitLoop(visitors: Visitor[], seconds: number, form: (i: number, k: number) => { path: string; fields: Record<string, string> } | null, ack: RegExp, pids: number[] = [], extra: Probe[] = []) {
  const s = { acked: [] as number[], latencies: [] as number[], failures: {} as Record<string, number>, seconds: 0 }
  const stop = await meter(pids, extra)
  const fail = (why: string) => (s.failures[why] = (s.failures[why] ?? 0) + 1)
  const t0 = performance.now()
  const client0 = process.cpuUsage()
  let last = t0
  await Promise.all(
    visitors.map(async (v, i) => {
      for (let k = 0; performance.now() < t0 + seconds * 1000; k++) {
        const f = form(i, k)
        if (!f) {
          await sleep(50)
          continue
        }
        const start = performance.now()
        try {
          const res = await postForm(v, f.path, new URLSearchParams({ _csrf: v.csrf, ...f.fields }).toString(), 10_000)
          const m = ack.exec(res.location)
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
  const client = process.cpuUsage(client0)
  for (const v of visitors) agents.get(v)?.destroy()
  const m = await stop()
  const per = (x: number) => (x * 1e6) / Math.max(1, s.acked.length)
  return { ...s, pps: s.acked.length / s.seconds, p50: pct(s.latencies, 0.5), p99: pct(s.latencies, 0.99), cpuUs: per(m.cpu), cpuShare: m.cpu / m.seconds, waitShare: m.waited / m.seconds, extraUs: m.extra.map(per), clientUs: per((client.user + client.system) / 1e6) }
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

/** What a posting phase left: every acknowledged number stored, once; stored (after − before) = acknowledged; numbers 1..n. */
export function checkNumbers(numbers: number[], acked: number[], before: number, after = numbers.length) {
  const [present, ackedSet] = [new Set(numbers), new Set(acked)]
  return { stored: after - before, lost: [...ackedSet].filter((n) => !present.has(n)).length, unacknowledged: after - before - ackedSet.size, duplicates: acked.length - ackedSet.size, contiguous: numbers.every((n, i) => n === i + 1) }
}

/** The headers Tor Browser sends for a page (its Accept-Encoding is what matters here). */
export const TOR_BROWSER = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.5',
  'accept-encoding': 'gzip, deflate',
  'upgrade-insecure-requests': '1',
}
/** What of those a page's load sends: what it accepts, in which language, and its encodings. */
export const TOR_BROWSER_ASKS = { accept: TOR_BROWSER.accept, 'accept-language': TOR_BROWSER['accept-language'], 'accept-encoding': TOR_BROWSER['accept-encoding'] }

/** A response's body as it crosses the wire (not decompressed), and its Content-Encoding. */
export function wireGet(url: string, headers: Record<string, string> = {}): Promise<{ bytes: number; encoding: string | null; status: number }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { ...TOR_BROWSER, ...headers } }, (res) => {
      let bytes = 0
      res.on('data', (d: Buffer) => (bytes += d.length))
      res.on('end', () => resolve({ bytes, encoding: (res.headers['content-encoding'] as string | undefined) ?? null, status: res.statusCode ?? 0 }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

/**
 * A first visit's bytes on the wire: the page, its style sheets, and (JS on) its scripts with the
 * modules they import at once (`import … from './x.js'`; not the ones loaded only when used).
 */
export async function firstVisit(base: string, path: string, pageText: string, headers: Record<string, string> = {}) {
  const page = await wireGet(base + path, headers)
  const css = [...pageText.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!)
  let cssBytes = 0
  for (const href of css) cssBytes += (await wireGet(base + href)).bytes
  const seen = new Set<string>()
  const queue = [...pageText.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!)
  let jsBytes = 0
  while (queue.length) {
    const src = queue.shift()!
    if (seen.has(src)) continue
    seen.add(src)
    jsBytes += (await wireGet(base + src)).bytes
    const text = await (await fetch(base + src)).text()
    for (const m of text.matchAll(/(?:^|[;\n}])\s*import\s*[{*\w][^'"()]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) queue.push(new URL(m[1]!, base + src).pathname)
  }
  return { page: page.bytes, encoding: page.encoding, jsOff: page.bytes + cssBytes, jsOn: page.bytes + cssBytes + jsBytes, scripts: [...seen] }
}
