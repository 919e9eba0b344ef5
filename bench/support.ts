// Helpers shared by bench/postgres.ts and bench/million.ts (not by pages.ts, which keeps its own):
// the real server as a child process, a ceiling process, PostgreSQL databases made and dropped per
// run, autocannon with the server's own CPU time, disposable identities over HTTP, load average.
// Everything listens on and talks to 127.0.0.1 only.
import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import type { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import autocannon, { type Options, type Result } from 'autocannon'
import pg from 'pg'
import { cookieHeader, cookiesFrom, cpuSeconds, log, median, num, ROOT, send, spawnListening, startCeiling, stopProcess, tokenAfterLogin, tokenIn, type Resp } from './lib.ts'

// The basics are shared with the SQLite benchmarks (bench/lib.ts).
export { cpuSeconds, log, median, num, ROOT, startCeiling, stopProcess }

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–')
/** The 1-minute load average, as uptime shows it. */
export const loadavg = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])

// ---------- processes ----------

export type Proc = { url: string; pid: number; proc: ChildProcess; output: () => string; stop: () => Promise<void> }


/** A child process that prints "listening on URL" (the server, a ceiling); rejects after 120 s. */
/** src/main.ts as tests/support/server.ts starts it: 127.0.0.1, a free port, its own DATA_DIR, plus env. */
export const startServer = (env: Record<string, string>, nodeArgs: string[] = []) => spawnListening([...nodeArgs, '--import', 'tsx', 'src/main.ts'], { HOST: '127.0.0.1', PORT: '0', ...env })

// ---------- PostgreSQL ----------

export async function adminQuery(text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL })
  await c.connect()
  try {
    return await c.query(text)
  } finally {
    await c.end()
  }
}

/** A fresh database cb_bench_<random> on the local PostgreSQL, and how to drop it. */
export async function makePgDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `cb_bench_${randomBytes(5).toString('hex')}`
  await adminQuery(`create database ${name}`)
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return { name, url: url.toString(), drop: async () => void (await adminQuery(`drop database if exists ${name} with (force)`)) }
}

// ---------- CPU of processes ----------

function cpuOrNull(pid: number): number | null {
  try {
    return cpuSeconds(pid)
  } catch {
    return null // gone
  }
}
/** Sum of cpuSeconds over every process whose command name is `comm` (e.g. redis-server). */
export function cpuOfCommand(comm: string): number {
  let total = 0
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) total += cpuOrNull(Number(d)) ?? 0
    } catch {
      // gone meanwhile
    }
  }
  return total
}

/** Starts counting; the returned function gives the CPU seconds used since. */
export type CpuProbe = () => Promise<() => Promise<number>>

/**
 * The PostgreSQL backends connected to database `name` (the nodes' pools and LISTEN connections):
 * their CPU seconds since the probe started, counting in full those connected meanwhile (a backend
 * that came and went in between is missed). Other databases' backends (other users of the same
 * PostgreSQL) and shared background processes (WAL writer, checkpointer) are not counted.
 */
export function backendCpu(name: string): CpuProbe {
  const backends = async () => (await adminQuery(`select pid from pg_stat_activity where datname = '${name}'`)).rows.map((r) => Number(r.pid))
  return async () => {
    const start = new Map((await backends()).map((p) => [p, cpuOrNull(p) ?? 0]))
    return async () => {
      let n = 0
      for (const [p, c] of start) n += (cpuOrNull(p) ?? c) - c
      for (const p of await backends()) if (!start.has(p)) n += cpuOrNull(p) ?? 0
      return n
    }
  }
}

// ---------- load ----------

export type Load = { label: string; rps: number; requests: number; p50: number; p99: number; max: number; bad: number; cpuUsPerReq: number; cpuShare: number; extraCpuUsPerReq?: number; load1: number }
type Target = { url: string; connections: number; requests?: unknown[] }

/**
 * autocannon against one or more targets at once (each its own autocannon instance in this
 * process), after `warmup` s of the same load. req/s are summed over targets, p50/p99 are the
 * worst target's, server CPU is summed over `pids` and divided by all requests. `extraCpu` (e.g. the
 * PostgreSQL backends of the database) is reported per request too.
 */
export async function load(label: string, targets: Target[], pids: number[], duration: number, warmup: number, extraCpu?: CpuProbe): Promise<Load> {
  const run = (d: number) =>
    Promise.all(targets.map((t) => autocannon({ url: t.url, connections: t.connections, pipelining: 1, timeout: 10, duration: d, ...(t.requests ? { requests: t.requests } : {}) } as Options) as PromiseLike<Result>))
  if (warmup > 0) await run(warmup)
  const cpu0 = pids.reduce((n, p) => n + cpuSeconds(p), 0)
  const extraSince = await extraCpu?.()
  const t0 = performance.now()
  const rs = await run(duration)
  const wall = (performance.now() - t0) / 1000
  const cpu = pids.reduce((n, p) => n + cpuSeconds(p), 0) - cpu0
  const extra = (await extraSince?.()) ?? 0
  const requests = rs.reduce((n, r) => n + r.requests.total, 0)
  const out: Load = {
    label,
    rps: rs.reduce((n, r) => n + r.requests.mean, 0),
    requests,
    p50: Math.max(...rs.map((r) => r.latency.p50)),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    max: Math.max(...rs.map((r) => r.latency.max)),
    bad: rs.reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0),
    cpuUsPerReq: (cpu * 1e6) / Math.max(1, requests),
    cpuShare: cpu / wall,
    ...(extraCpu ? { extraCpuUsPerReq: (extra * 1e6) / Math.max(1, requests) } : {}),
    load1: loadavg(),
  }
  log(`  ${label.padEnd(34)} ${fmt(out.rps).padStart(7)} req/s, p50 ${out.p50} ms, p99 ${out.p99} ms, max ${out.max} ms; server ${fmt(out.cpuUsPerReq)} CPU-µs/req at ${fmt(100 * out.cpuShare)}% of a core${out.extraCpuUsPerReq !== undefined ? ` (+ ${fmt(out.extraCpuUsPerReq)} µs/req elsewhere)` : ''}; load ${out.load1}${out.bad ? `  (${out.bad} errors/timeouts/non-2xx!)` : ''}`)
  return out
}

export async function fetchPage(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { bytes, text: new TextDecoder().decode(bytes), contentType: res.headers.get('content-type') ?? 'text/html; charset=UTF-8', setCookie: res.headers.getSetCookie().length > 0 }
}

// ---------- a browser with a disposable identity ----------

// HTTP with cookies: bench/lib.ts.
export { send, type Resp }
const FORM = 'application/x-www-form-urlencoded'

export type Poster = { cookie: string; csrf: string }

/** GET /identity for the form-token cookie and token, then POST /identity/disposable for cb_session. */
export async function takeIdentity(agent: Agent, base: string): Promise<Poster> {
  const jar = new Map<string, string>()
  const page = await send(agent, `${base}/identity`, 'GET', {})
  cookiesFrom(page, jar)
  const csrf = tokenIn(page.body)
  if (!csrf || !jar.has('cb_csrf')) throw new Error('no form token on /identity')
  const taken = await send(agent, `${base}/identity/disposable`, 'POST', { 'content-type': FORM, cookie: cookieHeader(jar) }, new URLSearchParams({ _csrf: csrf }).toString())
  cookiesFrom(taken, jar)
  if (taken.status !== 303 || !jar.has('cb_session')) throw new Error(`POST /identity/disposable: ${taken.status}`)
  return { cookie: cookieHeader(jar), csrf: await tokenAfterLogin(agent, base, jar) }
}

/** POST /identity/burn: the session (and its disposable private key) leaves Redis now, not in 12 h. */
export async function burnIdentity(agent: Agent, base: string, p: Poster): Promise<void> {
  const r = await send(agent, `${base}/identity/burn`, 'POST', { 'content-type': FORM, cookie: p.cookie }, new URLSearchParams({ _csrf: p.csrf }).toString())
  if (r.status !== 303) throw new Error(`POST /identity/burn: ${r.status}`)
}

export { FORM }
