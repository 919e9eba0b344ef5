// npx tsx bench/purge.ts — what the purge costs (SQLite), and what readers see while it runs
// (BENCHMARKS.md, "The purge", says what one run does).
//
//   BENCH_RUNS=1 BENCH_THREADS=10 BENCH_POSTS=20 BENCH_BEFORE=2 BENCH_AFTER=1 npx tsx bench/purge.ts   quick check
//
// The live thread page is loaded without a break while a control CLI command (`cell list`: the same
// start-up, no purge) and then `src/cli.ts purge` run; the windows are cut from that one stream of
// responses. The old posts are written beside the running server, which purges once when it starts.
// Environment: BENCH_RUNS=3 BENCH_THREADS=100 BENCH_POSTS=100 BENCH_BEFORE=10 BENCH_AFTER=3 BENCH_CONNECTIONS=10
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createBoard } from '../src/services/cells.ts'
import { cpuSeconds, fmt, generate, header, inTempDir, log, loadText, median, num, pct, query, runCli, runsOf, sleep, startNode, table } from './harness.ts'
import { fixtureLines, posters, rotate, withDeps, writeThread } from './seed.ts'

const RUNS = Math.max(1, num('BENCH_RUNS', 3))
const THREADS = num('BENCH_THREADS', 100)
const POSTS = num('BENCH_POSTS', 100)
const BEFORE = num('BENCH_BEFORE', 10)
const AFTER = num('BENCH_AFTER', 3)
const CONNECTIONS = num('BENCH_CONNECTIONS', 10)
const MARKER = 'purge-marker-'
const lines = fixtureLines()

const seedLive = (dir: string) => withDeps(dir, async (deps) => {
  await createBoard(deps, { cell: deps.config.defaultCell, slug: 'old', name: 'Old', description: '', retentionDays: 1 })
  return (await writeThread(deps, await posters(deps, 4), 'general', 'Live thread', lines)).threadPath
})
const seedOld = (dir: string) => withDeps(dir, async (deps) => {
  const people = await posters(deps, 20)
  for (let t = 0; t < THREADS; t++) await writeThread(deps, rotate(people, t), 'old', `Old thread ${t + 1}`, Array.from({ length: POSTS }, (_, k) => `${lines[(t * 7 + k) % 200]} ${MARKER}${t}-${k}`))
}, {}, () => Date.now() - 30 * 86_400_000)

const counts = async (dir: string) => ({
  old: (await query<{ threads: number; posts: number }>({ dataDir: dir }, "select count(distinct t.id) as threads, count(p.id) as posts from thread t join board b on b.id = t.board_id left join post p on p.thread_id = t.id where b.slug = 'old'"))[0]!,
  live: (await query<{ n: number }>({ dataDir: dir }, "select count(*) as n from post p join thread t on t.id = p.thread_id where t.title = 'Live thread'"))[0]!.n,
  keys: (await query<{ n: number }>({ dataDir: dir }, 'select count(*) as n from public_key'))[0]!.n,
})

type Sample = { at: number; ms: number; status: number }

function windowOf(label: string, samples: Sample[], from: number, to: number) {
  const ms = samples.filter((x) => x.at >= from && x.at < to).map((x) => x.ms)
  const seconds = (to - from) / 1000
  return { label, seconds, requests: ms.length, rps: ms.length / seconds, p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: Math.max(...ms), non200: samples.filter((x) => x.at >= from && x.at < to && x.status !== 200).length }
}

const oneRun = (n: number) => inTempDir('bench-purge', async (dir) => {
  const threadPath = await seedLive(dir)
  const server = await startNode({ DATA_DIR: dir })
  const t0 = performance.now()
  await seedOld(dir)
  const before = await counts(dir)
  log(`run ${n}: seeded ${before.old.threads} old threads with ${before.old.posts} posts in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured), ${before.keys} keys; ${loadText()}`)

  const samples: Sample[] = []
  const traffic = generate([{ url: server.url + threadPath, connections: CONNECTIONS }], BEFORE + AFTER + 120, (ms, status) => samples.push({ at: performance.now(), ms, status }))
  await sleep(1000) // connections up
  const control = await runCli(['cell', 'list'], { DATA_DIR: dir })
  await sleep(1000)
  const beforeFrom = performance.now()
  const cpuBefore = cpuSeconds(server.pid)
  await sleep(BEFORE * 1000)
  const cpuCli = cpuSeconds(server.pid)
  const cli = await runCli(['purge'], { DATA_DIR: dir })
  const cpuAfterCli = cpuSeconds(server.pid)
  await sleep(AFTER * 1000)
  traffic.stop()
  const total = await traffic.done
  const cpuEnd = cpuSeconds(server.pid)
  await server.stop()

  const m = /purged: (\d+) threads past retention, (\d+) keys that sign nothing; checkpointed in (\d+) ms \((\d+) attempts\)/.exec(cli.out)
  if (cli.code !== 0 || !m) throw new Error(`purge CLI exited ${cli.code}: ${cli.out}`)
  const purgeMs = Number(m[3])
  const windows = [
    windowOf('control: CLI `cell list` lifetime (earlier)', samples, control.start, control.end),
    windowOf(`${BEFORE} s before the CLI`, samples, beforeFrom, cli.start),
    windowOf('same length as the CLI, just before it', samples, 2 * cli.start - cli.end, cli.start),
    windowOf('CLI lifetime (spawn → exit)', samples, cli.start, cli.end),
    windowOf('the purge itself (CLI "ms", ending at its output)', samples, cli.printedAt - purgeMs, cli.printedAt),
    windowOf(`${AFTER} s after`, samples, cli.end, cli.end + AFTER * 1000),
  ]
  const cpu = {
    before: ((cpuCli - cpuBefore) * 1e6) / windows[1]!.requests,
    during: ((cpuAfterCli - cpuCli) * 1e6) / windows[3]!.requests,
    after: ((cpuEnd - cpuAfterCli) * 1e6) / Math.max(1, samples.filter((x) => x.at >= cli.end).length),
  }
  const after = await counts(dir)
  const files = ['cellboard.db', 'cellboard.db-wal', 'cellboard.db-shm'].filter((f) => existsSync(join(dir, f)))
  const markerIn = files.filter((f) => readFileSync(join(dir, f)).includes(MARKER))
  const cliMs = cli.end - cli.start
  log(`  CLI: ${cli.out.trim()} — exit ${cli.code}, wall ${fmt(cliMs)} ms (spawn to exit)`)
  log(`  load: ${total.requests} requests, ${total.bad} errors/timeouts/non-2xx`)
  log('  | window | s | requests | req/s | p50 ms | p99 ms | max ms | non-200 |')
  for (const w of windows) log(`  | ${w.label} | ${w.seconds.toFixed(2)} | ${w.requests} | ${fmt(w.rps)} | ${fmt(w.p50, 1)} | ${fmt(w.p99, 1)} | ${fmt(w.max, 1)} | ${w.non200} |`)
  log(`  server CPU-µs/request: before ${fmt(cpu.before)}, during the CLI ${fmt(cpu.during)}, after ${fmt(cpu.after)}`)
  log(`  after: old board ${after.old.threads} threads / ${after.old.posts} posts (before ${before.old.threads} / ${before.old.posts}); live thread ${after.live} posts; keys ${before.keys} → ${after.keys}; marker found in: ${markerIn.join(', ') || 'no file'} (${files.join(', ')} scanned); ${loadText()}`)
  const ok = total.bad === 0 && Number(after.old.threads) === 0 && Number(after.old.posts) === 0 && Number(after.live) === 200 && markerIn.length === 0 && Number(m[1]) === Number(before.old.threads)
  return { purgeMs, cliMs, windows, cpu, ok, threads: Number(m[1]), keys: Number(m[2]) }
})

log(header('bench/purge.ts'))
const runs: Awaited<ReturnType<typeof oneRun>>[] = []
for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i))
const all = (f: (r: (typeof runs)[number]) => number, d = 0) => runsOf(runs.map(f), d)
log(`\nMedians over ${RUNS} runs (${THREADS} × ${POSTS} posts past retention; live thread page at c=${CONNECTIONS}):`)
log(`purge (the CLI's own ms): ${all((r) => r.purgeMs)} ms; CLI spawn → exit: ${all((r) => r.cliMs)} ms; threads ${runs.map((r) => r.threads).join('/')}, keys ${runs.map((r) => r.keys).join('/')}`)
table('window | req/s | per run | p99 ms | per run | non-200', runs[0]!.windows.map(({ label }, w) => {
  const ws = runs.map((r) => r.windows[w]!)
  return `${label} | ${fmt(median(ws.map((x) => x.rps)))} | ${ws.map((x) => fmt(x.rps)).join(', ')} | ${fmt(median(ws.map((x) => x.p99)), 1)} | ${ws.map((x) => fmt(x.p99, 1)).join(', ')} | ${ws.reduce((n, x) => n + x.non200, 0)}`
}))
const ratio = (a: number, b: number) => all((r) => r.windows[a]!.rps / r.windows[b]!.rps, 2)
log(`req/s, same run, ÷ the same-length window before: during the purge CLI ${ratio(3, 2)}; during the purge itself ${ratio(4, 2)}; control CLI ${ratio(0, 2)}`)
log(`server CPU-µs/request before / during the CLI / after: ${fmt(median(runs.map((r) => r.cpu.before)))} / ${fmt(median(runs.map((r) => r.cpu.during)))} / ${fmt(median(runs.map((r) => r.cpu.after)))}`)
log(`all checks passed: ${runs.every((r) => r.ok)}`)
process.exitCode = runs.every((r) => r.ok) ? 0 : 1
log(header('end'))
