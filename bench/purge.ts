// npx tsx bench/purge.ts — what the purge costs (SQLite), and what readers see while it runs.
//
// Per run, in a fresh DATA_DIR:
//  1. Through the services (src/services/cells.ts createBoard, src/services/posts.ts): a board
//     "old" with --retention-days 1, and a live thread of 200 posts (the fixture lines) on
//     "general", which has no retention.
//  2. Start the real server (src/main.ts). It purges once at start, so the old posts are written
//     only now, beside the running server, through the same posting services with a clock 30 days
//     in the past (deps.now): BENCH_THREADS threads × BENCH_POSTS posts, by 20 disposable
//     identities (their keys then sign nothing else and are forgotten too). Every old body carries
//     a marker, to look for in the database files afterwards.
//  3. autocannon loads the live thread page (anonymous, c=10) for BENCH_BEFORE s, then
//     `node --import tsx src/cli.ts purge` (env DATA_DIR) runs while the load goes on, then
//     BENCH_AFTER more seconds. Every response is recorded with its completion time, so the windows
//     are cut from one continuous load: a control CLI command run earlier (`cell list`: starts
//     node and tsx and opens the database like the purge, but purges nothing), the CLI's lifetime (spawn → exit), the purge itself (the
//     CLI's own "ms", ending when it prints), the same length right before the CLI started, and
//     the BENCH_BEFORE s before it.
//  4. Clean stop; then, read-only: the old board has no threads and no posts, the live thread still
//     has 200 posts, orphan keys are gone, and no database file holds a marker.
//
// Environment: BENCH_RUNS=3 BENCH_THREADS=100 BENCH_POSTS=100 BENCH_BEFORE=10 BENCH_AFTER=3 BENCH_CONNECTIONS=10
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon, { type Result } from 'autocannon'
import BetterSqlite3 from 'better-sqlite3'
import type { Session } from '../src/ephemeral/sessions.ts'
import { createBoard } from '../src/services/cells.ts'
import { takeDisposableIdentity } from '../src/services/identities.ts'
import { replyToThread, startThread } from '../src/services/posts.ts'
import { fixtureLines } from './seed.ts'
import { cpuSeconds, fmt, header, log, loadText, median, num, openDeps, pct, ROOT, startServer } from './lib.ts'

const RUNS = Math.max(1, num('BENCH_RUNS', 3))
const THREADS = num('BENCH_THREADS', 100)
const POSTS = num('BENCH_POSTS', 100)
const BEFORE = num('BENCH_BEFORE', 10)
const AFTER = num('BENCH_AFTER', 3)
const CONNECTIONS = num('BENCH_CONNECTIONS', 10)
const DAY = 86_400_000
const MARKER = 'purge-marker-'
const lines = fixtureLines()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function seedLive(dir: string) {
  const { deps, close } = await openDeps(dir)
  try {
    await createBoard(deps, { cell: 'lobby', slug: 'old', name: 'Old', description: '', visibility: 'public', retentionDays: 1 })
    const people: Session[] = []
    for (let i = 0; i < 4; i++) people.push(await takeDisposableIdentity(deps))
    const as = (i: number) => ({ session: people[i % 4]!, expired: false })
    const t = await startThread(deps, as(0), { cell: 'lobby', board: 'general', title: 'Live thread', body: lines[0]! })
    for (let i = 1; i < 200; i++) await replyToThread(deps, as(i), { cell: 'lobby', board: 'general', thread: t.thread, body: lines[i]! })
    return t.threadPath
  } finally {
    await close()
  }
}

async function seedOld(dir: string) {
  const { deps, close } = await openDeps(dir, () => Date.now() - 30 * DAY)
  try {
    const people: Session[] = []
    for (let i = 0; i < 20; i++) people.push(await takeDisposableIdentity(deps))
    for (let t = 0; t < THREADS; t++) {
      const as = (k: number) => ({ session: people[(t + k) % people.length]!, expired: false })
      const body = (k: number) => `${lines[(t * 7 + k) % lines.length]} ${MARKER}${t}-${k}`
      const r = await startThread(deps, as(0), { cell: 'lobby', board: 'old', title: `Old thread ${t + 1}`, body: body(0) })
      for (let k = 1; k < POSTS; k++) await replyToThread(deps, as(k), { cell: 'lobby', board: 'old', thread: r.thread, body: body(k) })
    }
  } finally {
    await close()
  }
}

/** `node --import tsx src/cli.ts ARGS` on DATA_DIR: when it started, first printed and exited. */
async function runCli(dir: string, args: string[]) {
  const start = performance.now()
  const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let printedAt = 0
  cli.stdout.on('data', (d) => ((out += d), (printedAt ||= performance.now())))
  cli.stderr.on('data', (d) => (out += d))
  const code = await new Promise<number | null>((r) => cli.on('exit', r))
  return { start, end: performance.now(), code, out, printedAt }
}

type Sample = { at: number; ms: number; status: number }
type Window = { label: string; seconds: number; requests: number; rps: number; p50: number; p99: number; max: number; non200: number }

function windowOf(label: string, samples: Sample[], from: number, to: number): Window {
  const s = samples.filter((x) => x.at >= from && x.at < to)
  const ms = s.map((x) => x.ms)
  const seconds = (to - from) / 1000
  return { label, seconds, requests: s.length, rps: s.length / seconds, p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: Math.max(...ms), non200: s.filter((x) => x.status !== 200).length }
}

async function oneRun(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-purge-'))
  try {
    const threadPath = await seedLive(dir)
    const server = await startServer(dir)
    const t0 = performance.now()
    await seedOld(dir)
    const seeded = (performance.now() - t0) / 1000
    const db0 = new BetterSqlite3(join(dir, 'cellboard.db'), { readonly: true })
    const old = db0.prepare("select count(distinct t.id) as threads, count(p.id) as posts from thread t join board b on b.id = t.board_id left join post p on p.thread_id = t.id where b.slug = 'old'").get() as { threads: number; posts: number }
    const keysBefore = (db0.prepare('select count(*) as n from public_key').get() as { n: number }).n
    db0.close()
    log(`run ${n}: seeded ${old.threads} old threads with ${old.posts} posts in ${seeded.toFixed(1)} s (not measured), ${keysBefore} keys; ${loadText()}`)

    const url = server.url + threadPath
    const first = await fetch(url)
    if (first.status !== 200) throw new Error(`GET ${url}: ${first.status}`)
    const samples: Sample[] = []
    const inst = autocannon({ url, connections: CONNECTIONS, pipelining: 1, timeout: 10, duration: BEFORE + AFTER + 120 })
    ;(inst as unknown as EventEmitter).on('response', (_c: unknown, status: number, _b: number, ms: number) => samples.push({ at: performance.now(), ms, status }))
    const result = new Promise<Result>((resolve) => inst.then(resolve))
    await sleep(1000) // connections up
    // Control: a CLI command that starts the same way (node, tsx, open the database, migrate) but purges nothing.
    const control = await runCli(dir, ['cell', 'list'])
    await sleep(1000)
    const beforeFrom = performance.now()
    const cpuBefore = cpuSeconds(server.pid)
    await sleep(BEFORE * 1000)

    const cliStart = performance.now()
    const cpuCli = cpuSeconds(server.pid)
    const { code, out, printedAt, end: cliEnd } = await runCli(dir, ['purge'])
    const cpuAfterCli = cpuSeconds(server.pid)
    await sleep(AFTER * 1000)
    inst.stop()
    const r = await result
    const cpuEnd = cpuSeconds(server.pid)
    await server.stop()

    const m = /purged: (\d+) threads past retention, (\d+) keys that sign nothing; checkpointed in (\d+) ms \((\d+) attempts\)/.exec(out)
    if (code !== 0 || !m) throw new Error(`purge CLI exited ${code}: ${out}`)
    const purgeMs = Number(m[3])
    const cliSeconds = (cliEnd - cliStart) / 1000
    const windows = [
      windowOf('control: CLI `cell list` lifetime (earlier)', samples, control.start, control.end),
      windowOf(`${BEFORE} s before the CLI`, samples, beforeFrom, cliStart),
      windowOf('same length as the CLI, just before it', samples, cliStart - (cliEnd - cliStart), cliStart),
      windowOf('CLI lifetime (spawn → exit)', samples, cliStart, cliEnd),
      windowOf('the purge itself (CLI "ms", ending at its output)', samples, printedAt - purgeMs, printedAt),
      windowOf(`${AFTER} s after`, samples, cliEnd, cliEnd + AFTER * 1000),
    ]
    const cpu = {
      before: ((cpuCli - cpuBefore) * 1e6) / windows[1]!.requests,
      during: ((cpuAfterCli - cpuCli) * 1e6) / windows[3]!.requests,
      after: ((cpuEnd - cpuAfterCli) * 1e6) / Math.max(1, samples.filter((x) => x.at >= cliEnd).length),
    }

    const db = new BetterSqlite3(join(dir, 'cellboard.db'), { readonly: true, fileMustExist: true })
    const left = db.prepare("select count(distinct t.id) as threads, count(p.id) as posts from thread t join board b on b.id = t.board_id left join post p on p.thread_id = t.id where b.slug = 'old'").get() as { threads: number; posts: number }
    const live = (db.prepare("select count(*) as n from post p join thread t on t.id = p.thread_id where t.title = 'Live thread'").get() as { n: number }).n
    const keysAfter = (db.prepare('select count(*) as n from public_key').get() as { n: number }).n
    db.close()
    const files = ['cellboard.db', 'cellboard.db-wal', 'cellboard.db-shm'].map((f) => join(dir, f)).filter(existsSync)
    const markerIn = files.filter((f) => readFileSync(f).includes(MARKER)).map((f) => f.split('/').pop())

    const bad = r.errors + r.timeouts + r.non2xx
    log(`  CLI: ${out.trim()} — exit ${code}, wall ${fmt(cliSeconds * 1000)} ms (spawn to exit)`)
    log(`  autocannon total: ${r.requests.total} requests, errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}`)
    log('  | window | s | requests | req/s | p50 ms | p99 ms | max ms | non-200 |')
    for (const w of windows) log(`  | ${w.label} | ${w.seconds.toFixed(2)} | ${w.requests} | ${fmt(w.rps)} | ${fmt(w.p50, 1)} | ${fmt(w.p99, 1)} | ${fmt(w.max, 1)} | ${w.non200} |`)
    log(`  server CPU-µs/request: before ${fmt(cpu.before)}, during the CLI ${fmt(cpu.during)}, after ${fmt(cpu.after)}`)
    log(`  after: old board ${left.threads} threads / ${left.posts} posts (before ${old.threads} / ${old.posts}); live thread ${live} posts; keys ${keysBefore} → ${keysAfter}; marker found in: ${markerIn.length ? markerIn.join(', ') : 'no file'} (${files.map((f) => f.split('/').pop()).join(', ')} scanned); ${loadText()}`)
    return { purgeMs, cliSeconds, windows, cpu, ok: bad === 0 && left.threads === 0 && left.posts === 0 && live === 200 && markerIn.length === 0 && Number(m[1]) === old.threads, threads: Number(m[1]), keys: Number(m[2]) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

log(header('bench/purge.ts'))
const runs: Awaited<ReturnType<typeof oneRun>>[] = []
for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i))
log(`\nMedians over ${RUNS} runs (${THREADS} × ${POSTS} posts past retention; live thread page at c=${CONNECTIONS}):`)
log(`purge (CLI's own ms): ${fmt(median(runs.map((r) => r.purgeMs)))} ms (${runs.map((r) => r.purgeMs).join(', ')}); CLI spawn → exit: ${fmt(median(runs.map((r) => r.cliSeconds * 1000)))} ms (${runs.map((r) => fmt(r.cliSeconds * 1000)).join(', ')}); threads ${runs.map((r) => r.threads).join('/')}, keys ${runs.map((r) => r.keys).join('/')}`)
log('| window | req/s | per run | p99 ms | per run | non-200 |')
log('|---|---:|---|---:|---|---:|')
for (let w = 0; w < runs[0]!.windows.length; w++) {
  const ws = runs.map((r) => r.windows[w]!)
  log(`| ${ws[0]!.label} | ${fmt(median(ws.map((x) => x.rps)))} | ${ws.map((x) => fmt(x.rps)).join(', ')} | ${fmt(median(ws.map((x) => x.p99)), 1)} | ${ws.map((x) => fmt(x.p99, 1)).join(', ')} | ${ws.reduce((n, x) => n + x.non200, 0)} |`)
}
const ratio = (a: number, b: number) => runs.map((r) => r.windows[a]!.rps / r.windows[b]!.rps)
const ratioText = (a: number, b: number) => `${median(ratio(a, b)).toFixed(2)} (${ratio(a, b).map((x) => x.toFixed(2)).join(', ')})`
log(`req/s, same run: during the purge CLI ÷ same-length window before ${ratioText(3, 2)}; during the purge itself ÷ same-length window before ${ratioText(4, 2)}; control CLI ÷ same-length window before ${ratioText(0, 2)}`)
log(`server CPU-µs/request before / during the CLI / after: ${fmt(median(runs.map((r) => r.cpu.before)))} / ${fmt(median(runs.map((r) => r.cpu.during)))} / ${fmt(median(runs.map((r) => r.cpu.after)))}`)
log(`all checks passed: ${runs.every((r) => r.ok)}`)
if (!runs.every((r) => r.ok)) process.exitCode = 1
log(header('end'))
