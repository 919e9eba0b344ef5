// Pages and posting on PostgreSQL + Redis, with one server node and with two.
//
//   BENCH_RUNS=3 npx tsx bench/postgres.ts          (defaults: c=10, d=10 s, 2 s warm-up, posting 10 s)
//   BENCH_DURATION=2 BENCH_WARMUP=1 npx tsx bench/postgres.ts    quick check
//
// Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; BENCH_PG_ADMIN_URL overrides) and a
// non-persisting Redis on 127.0.0.1:6379 (BENCH_REDIS_URL). Each run:
//   1. creates a fresh database cb_bench_<random>, seeds it with bench/seed.ts (DATABASE_URL);
//   2. starts ONE real server node (src/main.ts with DATABASE_URL, REDIS_URL, its own DATA_DIR) and
//      loads, with autocannon c=10, the thread page (200 posts), its ceiling, the board page
//      (50 threads), its ceiling (bench/ceiling.ts serving the same bytes, checked);
//   3. starts a SECOND node on another port (same PostgreSQL and Redis) and loads both nodes at once
//      (two autocannon instances, c=5 each, req/s summed), then two ceilings the same way;
//   4. posting: 10 posters, each with a disposable identity taken on node 1, reply to the benchmark
//      thread for BENCH_POST_DURATION s, one request in flight each — first all on node 1, then
//      even posters on node 1 and odd ones on node 2 (their session lives in Redis). Every
//      acknowledged post (303 to …#pN) must be stored: numbers checked in PostgreSQL;
//      Then both nodes must serve the same board page and thread page 2 (the caches were dropped
//      on NOTIFY);
//   5. burns the identities (their sessions leave Redis), stops everything, drops the database.
// Server CPU is utime+stime of the node processes over the measured seconds; "postgres CPU" is
// that of the backends connected to this run's database (not the shared WAL writer or
// checkpointer); "redis CPU" is the whole redis-server process (other users of it count too).
// Environment: BENCH_RUNS=1, BENCH_DURATION=10, BENCH_WARMUP=2, BENCH_POST_DURATION, BENCH_JSON=FILE,
// BENCH_PROFILE=DIR (node 1 runs with --cpu-prof into DIR), BENCH_ONLY=pages,post (what to measure;
// the summary below expects both).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { fixtureLines, seed } from './seed.ts'
import { backendCpu, burnIdentity, cpuOfCommand, cpuSeconds, fetchPage, fmt, FORM, load, loadavg, log, makePgDatabase, median, num, REDIS_URL, send, startCeiling, startServer, takeIdentity, type Load, type Poster, type Proc } from './support.ts'

const DURATION = num('BENCH_DURATION', 10)
const WARMUP = num('BENCH_WARMUP', 2)
const POST_DURATION = num('BENCH_POST_DURATION', DURATION)
const RUNS = Math.max(1, Math.round(num('BENCH_RUNS', 1)))
const C = 10
const ONLY = new Set((process.env.BENCH_ONLY ?? 'pages,post').split(','))

type Posting = { nodes: number; postsPerSecond: number; acked: number; stored: number; lost: number; duplicates: number; contiguous: boolean; p50: number; p99: number; failures: Record<string, number>; nodeCpuUsPerPost: number; pgCpuUsPerPost: number; redisCpuUsPerPost: number; load1: number }

async function posting(nodes: Proc[], posters: Poster[], agent: Agent, db: { url: string; name: string }, threadId: number, threadPath: string): Promise<Posting> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  const numbers = async () => (await client.query('select number from post where thread_id = $1 order by number', [threadId])).rows.map((r) => Number(r.number))
  try {
    const before = (await numbers()).length
    const lines = fixtureLines()
    const latencies: number[] = []
    const acked: number[] = []
    const failures: Record<string, number> = {}
    const cpu = () => [nodes.reduce((n, p) => n + cpuSeconds(p.pid), 0), cpuOfCommand('redis-server')]
    const cpu0 = cpu()
    const pgSince = await backendCpu(db.name)()
    const t0 = performance.now()
    const deadline = t0 + POST_DURATION * 1000
    let lastEnd = t0
    await Promise.all(
      posters.map(async (p, i) => {
        const url = nodes[i % nodes.length]!.url + threadPath
        for (let k = 0; performance.now() < deadline; k++) {
          const body = new URLSearchParams({ _csrf: p.csrf, body: `${lines[(i * 20 + k) % lines.length]} (poster ${i + 1}, post ${k + 1})` }).toString()
          const start = performance.now()
          try {
            const r = await send(agent, url, 'POST', { 'content-type': FORM, cookie: p.cookie }, body)
            const n = /#p(\d+)$/.exec(String(r.headers.location ?? ''))
            if (r.status === 303 && n) latencies.push(performance.now() - start), acked.push(Number(n[1]))
            else failures[`HTTP ${r.status}`] = (failures[`HTTP ${r.status}`] ?? 0) + 1
          } catch (e) {
            failures[(e as Error).message] = (failures[(e as Error).message] ?? 0) + 1
          }
          lastEnd = performance.now()
        }
      }),
    )
    const seconds = (lastEnd - t0) / 1000
    const [nodeCpu, redisCpu] = cpu().map((v, i) => v - cpu0[i]!)
    const pgCpu = await pgSince()
    const after = await numbers()
    const present = new Set(after)
    const ackedSet = new Set(acked)
    latencies.sort((a, b) => a - b)
    const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN
    const per = (s: number) => (s * 1e6) / Math.max(1, acked.length)
    const out: Posting = {
      nodes: nodes.length,
      postsPerSecond: acked.length / seconds,
      acked: acked.length,
      stored: after.length - before,
      lost: [...ackedSet].filter((n) => !present.has(n)).length,
      duplicates: acked.length - ackedSet.size,
      contiguous: after.every((n, i) => n === i + 1),
      p50: pct(0.5),
      p99: pct(0.99),
      failures,
      nodeCpuUsPerPost: per(nodeCpu!),
      pgCpuUsPerPost: per(pgCpu!),
      redisCpuUsPerPost: per(redisCpu!),
      load1: loadavg(),
    }
    log(`  posting, ${nodes.length} node(s): ${fmt(out.postsPerSecond)} posts/s, p50 ${out.p50.toFixed(1)} ms, p99 ${out.p99.toFixed(1)} ms; CPU-µs/post: nodes ${fmt(out.nodeCpuUsPerPost)}, postgres ${fmt(out.pgCpuUsPerPost)}, redis ${fmt(out.redisCpuUsPerPost)}; acknowledged ${out.acked}, stored ${out.stored}, lost ${out.lost}, duplicates ${out.duplicates}, contiguous ${out.contiguous}, failures ${JSON.stringify(failures)}; load ${out.load1}`)
    return out
  } finally {
    await client.end()
  }
}

type Run = Record<string, Load | Posting | number | string>

async function oneRun(n: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-pgbench-'))
  const db = await makePgDatabase()
  const procs: Proc[] = []
  const agent = new Agent({ keepAlive: true, maxSockets: C })
  const posters: Poster[] = []
  const run: Run = { startedAt: new Date().toISOString(), load1Start: loadavg() }
  try {
    log(`run ${n}/${RUNS}: ${db.name}, load ${loadavg()}`)
    const t0 = performance.now()
    const s = await seed(join(dir, 'seed'), { DATABASE_URL: db.url })
    log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${s.threads} threads, ${s.threadPath} has ${s.threadPosts} posts`)
    const env = (i: number) => ({ DATABASE_URL: db.url, REDIS_URL, DATA_DIR: join(dir, `node${i}`) })
    const a = await startServer(env(1), process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])
    procs.push(a)
    const threadPage = await fetchPage(a.url + s.threadPath)
    const boardPage = await fetchPage(a.url + s.boardPath)
    if (threadPage.setCookie || boardPage.setCookie) throw new Error('an anonymous page set a cookie')
    if ((threadPage.text.match(/<article\b/g) ?? []).length !== 200) throw new Error('the thread page does not show 200 posts')
    const ceilings: Proc[] = []
    for (const [name, page, path] of [['thread1', threadPage, s.threadPath], ['thread2', threadPage, s.threadPath], ['board1', boardPage, s.boardPath], ['board2', boardPage, s.boardPath]] as const) {
      const c = await startCeiling(dir, name, page.bytes, page.contentType, path)
      if (Buffer.compare(Buffer.from((await fetchPage(c.url)).bytes), Buffer.from(page.bytes)) !== 0) throw new Error(`ceiling ${name} does not serve the page's bytes`)
      ceilings.push(c), procs.push(c)
    }
    const [tc1, tc2, bc1, bc2] = ceilings as [Proc, Proc, Proc, Proc]
    log(`  thread page ${threadPage.bytes.length} B, board page ${boardPage.bytes.length} B; c=${C}, d=${DURATION} s, warm-up ${WARMUP} s`)
    const L = (label: string, targets: { url: string; connections: number }[], pids: number[]) => load(label, targets, pids, DURATION, WARMUP)

    const pages = ONLY.has('pages')
    if (pages) {
      run.thread1 = await L('thread, 1 node (c=10)', [{ url: a.url + s.threadPath, connections: C }], [a.pid])
      run.threadCeiling1 = await L('thread ceiling, 1 process (c=10)', [{ url: tc1.url, connections: C }], [tc1.pid])
      run.board1 = await L('board, 1 node (c=10)', [{ url: a.url + s.boardPath, connections: C }], [a.pid])
      run.boardCeiling1 = await L('board ceiling, 1 process (c=10)', [{ url: bc1.url, connections: C }], [bc1.pid])
    }

    const b = await startServer(env(2))
    procs.push(b)
    for (const [path, page] of [[s.threadPath, threadPage], [s.boardPath, boardPage]] as const) {
      if (Buffer.compare(Buffer.from((await fetchPage(b.url + path)).bytes), Buffer.from(page.bytes)) !== 0) throw new Error(`node 2 serves other bytes at ${path}`)
    }
    const half = C / 2
    if (pages) {
      run.thread2 = await L('thread, 2 nodes (c=5+5)', [{ url: a.url + s.threadPath, connections: half }, { url: b.url + s.threadPath, connections: half }], [a.pid, b.pid])
      run.threadCeiling2 = await L('thread ceiling, 2 processes (c=5+5)', [{ url: tc1.url, connections: half }, { url: tc2.url, connections: half }], [tc1.pid, tc2.pid])
      run.board2 = await L('board, 2 nodes (c=5+5)', [{ url: a.url + s.boardPath, connections: half }, { url: b.url + s.boardPath, connections: half }], [a.pid, b.pid])
      run.boardCeiling2 = await L('board ceiling, 2 processes (c=5+5)', [{ url: bc1.url, connections: half }, { url: bc2.url, connections: half }], [bc1.pid, bc2.pid])
    }
    for (const c of ceilings) await c.stop()

    for (let i = 0; i < C; i++) posters.push(await takeIdentity(agent, a.url))
    if (ONLY.has('post')) {
      run.post1 = await posting([a], posters, agent, db, s.threadId, s.threadPath)
      run.post2 = await posting([a, b], posters, agent, db, s.threadId, s.threadPath)
      // Both nodes cached these pages before the posting: each must have dropped them when the
      // other wrote (NOTIFY), so after a moment both serve the same, current bytes.
      await new Promise((r) => setTimeout(r, 500))
      for (const path of [s.boardPath, `${s.threadPath}?page=2`]) {
        const [pa, pb] = [await fetchPage(a.url + path), await fetchPage(b.url + path)]
        if (Buffer.compare(Buffer.from(pa.bytes), Buffer.from(pb.bytes)) !== 0) throw new Error(`after posting, the nodes serve different pages at ${path}`)
      }
      log('  after posting, both nodes serve the same board page and thread page 2')
    }
    run.load1End = loadavg()
    return run
  } finally {
    for (const p of posters) await burnIdentity(agent, procs[0]!.url, p).catch((e: Error) => log(`  burning an identity failed: ${e.message}`))
    agent.destroy()
    const errors = procs.map((p) => p.output()).join('').split('\n').filter((l) => /internal error|warning/.test(l))
    if (errors.length) log(`  server output worth a look: ${[...new Set(errors)].slice(0, 5).join(' | ')}`)
    for (const p of procs) await p.stop()
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main() {
  log(`cellboard PostgreSQL bench: node ${process.version}, ${cpus().length} CPUs, c=${C}, d=${DURATION} s, ${RUNS} run(s), ${new Date().toISOString()}`)
  const runs: Run[] = []
  for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i))
  if (ONLY.size < 2) return // the summary needs both parts
  const L = (k: string) => runs.map((r) => r[k] as Load)
  const P = (k: string) => runs.map((r) => r[k] as Posting)
  const runsOf = (xs: number[], d = 0) => `${median(xs).toFixed(d)} (${xs.map((x) => x.toFixed(d)).join(', ')})`
  log('')
  log(`Medians over ${runs.length} run(s) (per-run values in brackets):`)
  log('| what | req/s | p50 ms | p99 ms | server CPU-µs/req | server cpu% |')
  log('|---|---:|---:|---:|---:|---:|')
  for (const k of ['thread1', 'threadCeiling1', 'thread2', 'threadCeiling2', 'board1', 'boardCeiling1', 'board2', 'boardCeiling2']) {
    const xs = L(k)
    log(`| ${xs[0]!.label} | ${runsOf(xs.map((x) => x.rps))} | ${median(xs.map((x) => x.p50))} | ${runsOf(xs.map((x) => x.p99))} | ${fmt(median(xs.map((x) => x.cpuUsPerReq)))} | ${fmt(100 * median(xs.map((x) => x.cpuShare)))} |`)
  }
  log('')
  const ratio = (p: string, q: string) => runsOf(runs.map((r) => (r[p] as Load).rps / (r[q] as Load).rps), 2)
  const cpuRatio = (p: string, q: string) => runsOf(runs.map((r) => (r[q] as Load).cpuUsPerReq / (r[p] as Load).cpuUsPerReq), 2)
  for (const page of ['thread', 'board']) {
    log(`${page}: 1 node / ceiling ${ratio(`${page}1`, `${page}Ceiling1`)} (per CPU ${cpuRatio(`${page}1`, `${page}Ceiling1`)}); 2 nodes / 1 node ${ratio(`${page}2`, `${page}1`)}; ` +
      `2 nodes / 2 ceilings ${ratio(`${page}2`, `${page}Ceiling2`)}; 2 nodes / 1 ceiling ${ratio(`${page}2`, `${page}Ceiling1`)}; 2 ceilings / 1 ceiling ${ratio(`${page}Ceiling2`, `${page}Ceiling1`)}`)
  }
  for (const k of ['post1', 'post2']) {
    const ps = P(k)
    log(`posting, ${ps[0]!.nodes} node(s): ${runsOf(ps.map((p) => p.postsPerSecond))} posts/s, p50 ${runsOf(ps.map((p) => p.p50), 1)} ms, p99 ${runsOf(ps.map((p) => p.p99), 1)} ms; ` +
      `CPU-µs/post nodes ${fmt(median(ps.map((p) => p.nodeCpuUsPerPost)))}, postgres ${fmt(median(ps.map((p) => p.pgCpuUsPerPost)))}, redis ${fmt(median(ps.map((p) => p.redisCpuUsPerPost)))}; ` +
      `acknowledged ${ps.map((p) => p.acked).join('/')}, stored ${ps.map((p) => p.stored).join('/')}, lost ${ps.map((p) => p.lost).join('/')}, duplicates ${ps.map((p) => p.duplicates).join('/')}, contiguous ${ps.every((p) => p.contiguous)}, failures ${JSON.stringify(ps.map((p) => p.failures))}`)
  }
  log(`posting, 2 nodes / 1 node: ${runsOf(runs.map((r) => (r.post2 as Posting).postsPerSecond / (r.post1 as Posting).postsPerSecond), 2)}`)
  log(`load average (1 min) at run start / end: ${runs.map((r) => `${r.load1Start} / ${r.load1End}`).join('; ')}`)
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, duration: DURATION, warmup: WARMUP, postDuration: POST_DURATION, runs }, null, 2))
  const bad = runs.some((r) => Object.values(r).some((v) => typeof v === 'object' && ('bad' in v ? v.bad > 0 : v.lost > 0 || Object.keys(v.failures).length > 0)))
  process.exitCode = bad ? 1 : 0
}

await main()
