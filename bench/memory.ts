// Issue 15: the server's memory under mixed load. RSS after the first minute against RSS after
// MEM_MINUTES (default 10) minutes of: anonymous readers on the thread and board pages (gzip, as
// Tor Browser asks), a reader with a session, searches with changing words, BENCH_POSTERS posters
// replying, and a new disposable identity every two seconds. Goal: the end within 10 % of the
// first minute. Only 127.0.0.1; stops by itself.
//
//   npx tsx bench/memory.ts                          SQLite, 10 minutes
//   MEM_MINUTES=2 npx tsx bench/memory.ts            quick check
//   BENCH_DIALECT=postgres npx tsx bench/memory.ts   PostgreSQL + Redis
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { disposable, fmt, generate, header, load1, log, makePgDatabase, median, num, sleep, startNode, submitLoop, TOR_BROWSER } from './harness.ts'
import { fixtureLines, seed } from './seed.ts'

const MINUTES = num('MEM_MINUTES', 10)
const POSTERS = num('BENCH_POSTERS', 3)
const PG = process.env.BENCH_DIALECT === 'postgres'
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
const words = fixtureLines().flatMap((l) => l.split(/\W+/)).filter((w) => w.length > 4)

log(header(`bench/memory.ts (${PG ? 'PostgreSQL + Redis' : 'SQLite'}, ${MINUTES} min of mixed load)`))
const dir = mkdtempSync(join(tmpdir(), 'cellboard-memory-'))
const pgdb = PG ? await makePgDatabase('cb_bench') : null
try {
  const s = await seed(join(dir, 'data'), pgdb ? { DATABASE_URL: pgdb.url } : {})
  const node = await startNode(pgdb ? pgdb.nodeEnv(join(dir, 'node')) : { DATA_DIR: s.dataDir })
  try {
    const seconds = MINUTES * 60
    const reader = await disposable(node.url)
    const posters = await Promise.all(Array.from({ length: POSTERS }, () => disposable(node.url)))
    const gz = { 'accept-encoding': TOR_BROWSER['accept-encoding'] }
    let n = 0
    const reads = generate(
      [
        { url: node.url + s.threadPath, connections: 2, headers: gz },
        { url: node.url + s.boardPath, connections: 1, headers: gz },
        { url: node.url + s.threadPath, connections: 1, headers: { ...gz, cookie: reader.cookie } },
        { url: node.url + '/search', connections: 1, headers: gz, paths: () => `/search?q=${words[n++ % words.length]}` },
      ],
      seconds,
    )
    // Posting, throttled (each poster about 5 a second), each body different.
    const posting = submitLoop(posters, seconds, (i, k) => (k % 2 ? null : { path: s.threadPath, fields: { body: `${words[(i * 31 + k) % words.length]} memory ${i}.${k}` } }), /#p(\d+)$/)
    let identities = 0
    const t0 = performance.now()
    const samples: { t: number; kb: number }[] = []
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(2000)
      await disposable(node.url).then(() => identities++, () => {})
      samples.push({ t: (performance.now() - t0) / 1000, kb: rssKb(node.pid) })
      if (samples.length % 30 === 0) log(`  ${fmt(samples.at(-1)!.t)} s: RSS ${fmt(samples.at(-1)!.kb / 1024, 1)} MB; load ${load1()}`)
    }
    const [r, p] = [await reads.done, await posting]
    const at = (sec: number) => samples.reduce((best, x) => (Math.abs(x.t - sec) < Math.abs(best.t - sec) ? x : best))
    const [first, last] = [at(60), samples.at(-1)!]
    // RSS is a sawtooth: each rebuilt thread page (a post drops it) leaves some 0.5 MB of garbage,
    // much of it in V8's large-object space, which only a full collection frees; one sample lands
    // anywhere on a tooth (±30 MB seen at 2 s steps). So the goal compares the median of the
    // samples in the minute after the first (60–120 s) with the median of the last minute's, and
    // the single samples are printed beside them.
    const mb = (kb: number) => `${fmt(kb / 1024, 1)} MB`
    const within = (from: number, to: number) => samples.filter((x) => x.t >= from && x.t < to).map((x) => x.kb)
    const lastMinute = within(seconds - 60, Infinity)
    const [early, late] = [median(within(60, 120)), median(lastMinute)]
    const ratio = late / early
    // Under 3 minutes the two windows overlap (or the first is empty): nothing to judge.
    const judged = seconds >= 180
    log(`reads: ${fmt(r.requests)} (${fmt(r.rpsMean)} req/s, ${r.bad} bad); posts: ${fmt(p.acked.length)} acknowledged, failures ${JSON.stringify(p.failures)}; new identities: ${identities}`)
    log(`  one sample each: RSS at 1 min ${mb(first.kb)}, at ${fmt(last.t / 60, 1)} min ${mb(last.kb)} (${fmt(last.kb / first.kb, 3)}×); lowest ${mb(Math.min(...samples.map((x) => x.kb)))}, peak ${mb(Math.max(...samples.map((x) => x.kb)))}`)
    log(`RSS after ${fmt(last.t / 60, 1)} min (median of the last minute's ${lastMinute.length} samples) ${mb(late)} against after 1 min (median of 60–120 s) ${mb(early)}: ${fmt(ratio, 3)}× goal ≤ 1.10: ${!judged ? `not judged (a run of ${MINUTES} min is too short: 3 at least)` : ratio <= 1.1 ? 'met' : 'NOT met'}`)
  } finally {
    await node.stop()
  }
} finally {
  await pgdb?.drop()
  rmSync(dir, { recursive: true, force: true })
  log(header('end'))
}
