// npm run bench — pages against their ceilings, and posting with the lost-post check.
//
//   BENCH_RUNS=3 npm run bench                      SQLite, one node (BENCHMARKS.md, first section)
//   BENCH_DURATION=2 BENCH_WARMUP=1 npm run bench   quick check, about 30 s
//   BENCH_DIALECT=postgres BENCH_RUNS=3 npm run bench   PostgreSQL + Redis, one node, then two
//
// Each run seeds a fresh board (bench/seed.ts), starts the real server (src/main.ts) and, per page,
// a ceiling (bench/ceiling.ts: the anonymous page's exact bytes from bare Hono), then loads, in
// this order: the thread page (200 posts), its ceiling, the thread page as a logged-in reader (a
// disposable identity's cookies: built per request, same ceiling), the board page (50 threads),
// its ceiling. With two nodes (BENCH_NODES=2, the default on PostgreSQL) a second node joins and
// both are loaded at once (c/2 each), then two ceilings likewise. Then BENCH_CONNECTIONS posters,
// each with its own disposable identity, reply to the thread for BENCH_POST_DURATION s, one request
// in flight each, on node 1 (then spread over both nodes, and both must serve the same pages after:
// each dropped its cache on the other's NOTIFY). After the servers stop, every acknowledged post
// (a 303 to …#pN) must be stored, once, numbered 1..n. "Chrome" is the thread page's bytes minus
// its 200 stored post bodies, each found verbatim and in order.
//
// Environment: BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_POST_DURATION (= BENCH_DURATION)
// BENCH_CONNECTIONS=10 BENCH_RUNS=1 BENCH_JSON=FILE BENCH_ONLY=thread,reader,board,post
// BENCH_PROFILE=DIR (node 1 runs with --cpu-prof; no ceilings) BENCH_DIALECT=sqlite|postgres
// BENCH_NODES=1|2; PostgreSQL and Redis where the tests find them (TEST_DATABASE_URL, TEST_REDIS_URL).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tokensOf } from '../tests/support/forms.ts'
import {
  backendCpu, checkNumbers, commandCpu, disposable, fetchPage, fmt, header, load, load1, log, makePgDatabase, median, meter, num, onNode, only, pct, PROFILE, postNumbers, procOf, query,
  REDIS_URL, runsOf, samePage, sleep, startCeiling, startServer, submitLoop, type Load, type Page, type Probe, type Proc, type Visitor,
} from './harness.ts'
import { fixtureLines, seed, type Seeded } from './seed.ts'

const DURATION = num('BENCH_DURATION', 10)
const WARMUP = num('BENCH_WARMUP', 2)
const POST_DURATION = num('BENCH_POST_DURATION', DURATION)
const C = num('BENCH_CONNECTIONS', 10)
const RUNS = Math.max(1, num('BENCH_RUNS', 1))
const ONLY = only('BENCH_ONLY', 'thread,reader,board,post')
const PG = process.env.BENCH_DIALECT === 'postgres'
const NODES = num('BENCH_NODES', PG ? 2 : 1) === 2 ? 2 : 1
const GOAL = { ratio: 0.8, chromeBytes: 8 * 1024, postsPerSecond: 300 }
const lines = fixtureLines()

type Chrome = { pageBytes: number; bodyBytes: number; chrome: number; shellBytes: number; perPost: number; articles: number }

/** The page's bytes less the stored post bodies (each found verbatim, in order); the shell is what lies outside the articles. */
function chromeOf(page: string, bodies: string[]): Chrome {
  let at = 0
  for (const [i, b] of bodies.entries()) {
    at = page.indexOf(b, at)
    if (at < 0) throw new Error(`post ${i + 1}'s stored body_html is not in the page verbatim`)
    at += b.length
  }
  const len = (s: string) => Buffer.byteLength(s)
  const pageBytes = len(page)
  const bodyBytes = bodies.reduce((n, b) => n + len(b), 0)
  const shellBytes = len(page.slice(0, page.search(/<article\b/))) + len(page.slice(page.lastIndexOf('</article>') + '</article>'.length))
  const chrome = pageBytes - bodyBytes
  return { pageBytes, bodyBytes, chrome, shellBytes, perPost: (chrome - shellBytes) / bodies.length, articles: (page.match(/<article\b[^>]*\bclass="[^"]*\bpost\b/g) ?? []).length }
}

type Posting = { nodes: number; postsPerSecond: number; acked: number; p50: number; p99: number; failures: Record<string, number>; cpuUsPerPost: number; cpuShare: number; waitShare: number; elsewhereUsPerPost: number[] } & Partial<ReturnType<typeof checkNumbers>>

/**
 * The posters reply for POST_DURATION s, poster i on node i mod n (a session made on node 1 works
 * on node 2). Every body differs: the same token with the same fields again would get the first
 * answer back (src/http/middleware/idempotency.ts) and post nothing.
 */
async function postOn(nodes: Proc[], posters: Visitor[], s: Seeded, extra: Probe[]) {
  const before = (await postNumbers(s, s.threadId)).length
  const stop = await meter(nodes.map((n) => n.pid), extra)
  const clients = posters.map((v, i) => onNode(v, nodes[i % nodes.length]!.url))
  const sent = await submitLoop(clients, POST_DURATION, (i, k) => ({ path: s.threadPath, fields: { body: `${lines[(i * 20 + k) % 200]} (poster ${i + 1}, post ${k + 1} on ${nodes.length} node(s))` } }), /#p(\d+)$/)
  const m = await stop()
  const per = (x: number) => (x * 1e6) / Math.max(1, sent.acked.length)
  const p: Posting = { nodes: nodes.length, postsPerSecond: sent.acked.length / sent.seconds, acked: sent.acked.length, p50: pct(sent.latencies, 0.5), p99: pct(sent.latencies, 0.99), failures: sent.failures, cpuUsPerPost: per(m.cpu), cpuShare: m.cpu / m.seconds, waitShare: m.waited / m.seconds, elsewhereUsPerPost: m.extra.map(per) }
  log(`  posting on ${nodes.length} node(s): ${fmt(p.postsPerSecond)} posts/s, p50 ${fmt(p.p50, 1)} ms, p99 ${fmt(p.p99, 1)} ms; server ${fmt(p.cpuUsPerPost)} CPU-µs/post at ${fmt(100 * p.cpuShare)}% of a core, waited ${fmt(100 * p.waitShare)}%` +
    `${PG ? `; postgres + redis ${p.elsewhereUsPerPost.map((x) => fmt(x)).join(' + ')} CPU-µs/post` : ''}; acknowledged ${p.acked}, failures ${JSON.stringify(p.failures)}; load ${load1()}`)
  return { p, before, acked: sent.acked }
}

type Run = { loads: Record<string, Load>; posting: Posting[]; chrome: Chrome; readerChrome: Chrome; bytes: Record<string, number>; load1: string; output: string }

async function oneRun(n: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-'))
  const pgdb = PG ? await makePgDatabase('cb_bench') : null
  const procs: Proc[] = []
  const posters: Visitor[] = []
  const run = { loads: {}, posting: [], load1: `${load1()}` } as unknown as Run
  try {
    log(`run ${n}/${RUNS}: seeding ${pgdb?.name ?? dir}`)
    const s = await seed(join(dir, 'data'), pgdb ? { DATABASE_URL: pgdb.url } : {})
    const env = (i: number): Record<string, string> => (pgdb ? { DATABASE_URL: pgdb.url, REDIS_URL, DATA_DIR: join(dir, `node${i}`) } : { DATA_DIR: s.dataDir })
    const a = procOf(await startServer(env(1), PROFILE))
    procs.push(a)
    const extra: Probe[] = pgdb ? [backendCpu(pgdb.name), commandCpu('redis-server')] : []

    // The pages, and what they must be: anonymous ones cached (no cookie, no token), the reader's built for them.
    const reader = await disposable(a.url)
    const thread = await fetchPage(a.url + s.threadPath)
    const board = await fetchPage(a.url + s.boardPath)
    const readerPage = await fetchPage(a.url + s.threadPath, { cookie: reader.cookie })
    if (thread.setCookie || board.setCookie || tokensOf(thread.text).length) throw new Error('an anonymous page set a cookie or carries a form token')
    if (!tokensOf(readerPage.text).length || !/<textarea\b[^>]*name="body"/.test(readerPage.text) || readerPage.setCookie || samePage(readerPage, thread)) throw new Error("the logged-in reader's page is not built for them (no reply form with a token, a new cookie, or the anonymous bytes)")
    const bodies = (await query<{ body_html: string }>(s, 'select body_html from post where thread_id = ? order by number', s.threadId)).map((r) => r.body_html)
    run.chrome = chromeOf(thread.text, bodies)
    run.readerChrome = chromeOf(readerPage.text, bodies)
    const listed = (/<ol id="threads"[^>]*>([\s\S]*?)<\/ol>/.exec(board.text)?.[1]?.match(/<li\b/g) ?? []).length
    if (run.chrome.articles !== 200 || run.readerChrome.articles !== 200 || listed !== 50) throw new Error(`the pages show ${run.chrome.articles} / ${run.readerChrome.articles} posts and ${listed} threads, expected 200 and 50`)
    run.bytes = { thread: thread.bytes.length, reader: readerPage.bytes.length, board: board.bytes.length }

    const ceilings: Record<string, Proc[]> = { thread: [], board: [] }
    for (const [name, page, path] of [['thread', thread, s.threadPath], ['board', board, s.boardPath]] as [string, Page, string][]) {
      for (let i = 0; i < (PROFILE.length ? 0 : NODES); i++) procs.push(ceilings[name]![i] = await startCeiling(dir, `${name}${i}`, page, path))
    }
    log(`  thread page ${fmt(thread.bytes.length)} B (chrome ${fmt(run.chrome.chrome)} B; logged-in ${fmt(readerPage.bytes.length)} B), board page ${fmt(board.bytes.length)} B; c=${C}, d=${DURATION} s, warm-up ${WARMUP} s`)
    const L = async (key: string, nodes: Proc[], path: string | null, headers?: Record<string, string>) => {
      if (nodes.length === 0) return
      const targets = nodes.map((p) => ({ url: path === null ? p.url : p.url + path, connections: Math.max(1, Math.round(C / nodes.length)), headers }))
      run.loads[key] = await load(`${key} (c=${targets.map((t) => t.connections).join('+')})`, targets, nodes.map((p) => p.pid), { duration: DURATION, warmup: WARMUP, extra: path === null ? [] : extra })
    }
    const loadAll = async (nodes: Proc[], x: string) => {
      if (ONLY.has('thread')) await L(`thread${x}`, nodes, s.threadPath), await L(`thread ceiling${x}`, ceilings.thread!.slice(0, nodes.length), null)
      if (ONLY.has('reader') && nodes.length === 1) await L('reader', nodes, s.threadPath, { cookie: reader.cookie })
      if (ONLY.has('board')) await L(`board${x}`, nodes, s.boardPath), await L(`board ceiling${x}`, ceilings.board!.slice(0, nodes.length), null)
    }
    await loadAll([a], '')
    const nodes = [a]
    if (NODES === 2) {
      const b = procOf(await startServer(env(2)))
      procs.push(b), nodes.push(b)
      for (const [path, page] of [[s.threadPath, thread], [s.boardPath, board]] as const) if (!samePage(await fetchPage(b.url + path), page)) throw new Error(`node 2 serves other bytes at ${path}`)
      await loadAll(nodes, ' ×2')
    }
    for (const c of [...ceilings.thread!, ...ceilings.board!]) await c.stop()

    const phases: Awaited<ReturnType<typeof postOn>>[] = []
    if (ONLY.has('post')) {
      for (let i = 0; i < C; i++) posters.push(await disposable(a.url))
      for (const group of NODES === 2 ? [[a], nodes] : [[a]]) phases.push(await postOn(group, posters, s, extra))
      if (NODES === 2) {
        await sleep(500)
        for (const path of [s.boardPath, `${s.threadPath}?page=2`]) if (!samePage(await fetchPage(a.url + path), await fetchPage(nodes[1]!.url + path))) throw new Error(`after posting, the nodes serve different pages at ${path}`)
        log('  after posting, both nodes serve the same board page and thread page 2')
      }
      if (pgdb) for (const v of posters) await v.post('/identity/burn', {}).catch((e: Error) => log(`  burning an identity failed: ${e.message}`)) // sessions leave Redis now, not in 12 h
    }
    for (const p of procs) await p.stop()
    // Read after a clean stop: what is stored is what was kept.
    const numbers = await postNumbers(s, s.threadId)
    run.posting = phases.map((ph, i) => ({ ...ph.p, ...checkNumbers(numbers, ph.acked, ph.before, phases[i + 1]?.before ?? numbers.length) }))
    for (const p of run.posting) log(`  check, ${p.nodes} node(s): acknowledged ${p.acked}, stored ${p.stored}, lost ${p.lost}, stored unacknowledged ${p.unacknowledged}, duplicates ${p.duplicates}, numbers 1..n ${p.contiguous}`)
    run.output = procs.map((p) => p.output()).join('')
    run.load1 += ` → ${load1()}`
    return run
  } finally {
    for (const p of procs) await p.stop()
    await pgdb?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

log(header(`bench/pages.ts (${PG ? 'PostgreSQL + Redis' : 'SQLite'}, ${NODES} node${NODES === 2 ? 's' : ''}, ${RUNS} run(s))`))
const runs: Run[] = []
for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i))

log(`\nMedians over ${RUNS} run(s), per-run values in brackets:`)
log(`| what | req/s mean | req/s median | p50 ms | p99 ms | server CPU-µs/req | server cpu% | waited |${PG ? ' postgres + redis CPU-µs/req |' : ''}`)
log(`|---|---:|---:|---:|---:|---:|---:|---:|${PG ? '---:|' : ''}`)
const loads = (k: string) => runs.map((r) => r.loads[k]).filter((l): l is Load => l !== undefined)
const mid = (xs: Load[], f: (l: Load) => number, d = 0) => fmt(median(xs.map(f)), d)
for (const k of Object.keys(runs[0]!.loads)) {
  const xs = loads(k)
  log(`| ${xs[0]!.label} | ${runsOf(xs.map((l) => l.rpsMean))} | ${mid(xs, (l) => l.rpsMedian)} | ${mid(xs, (l) => l.p50)} | ${mid(xs, (l) => l.p99)} | ${mid(xs, (l) => l.cpuUsPerReq)} | ${mid(xs, (l) => 100 * l.cpuShare)} | ${mid(xs, (l) => 100 * l.waitShare)} % |` +
    `${PG ? ` ${xs[0]!.extraUsPerReq.map((_, i) => mid(xs, (l) => l.extraUsPerReq[i]!)).join(' + ') || '–'} |` : ''}`)
}
// Ratios within each run, against a reference measured in the same run (the ceiling, or one node).
const ratios: [string, string, string][] = [['thread', 'thread', 'thread ceiling'], ['thread, logged-in reader', 'reader', 'thread ceiling'], ['board', 'board', 'board ceiling'],
  ['thread, 2 nodes', 'thread ×2', 'thread ceiling ×2'], ['board, 2 nodes', 'board ×2', 'board ceiling ×2'], ['thread, 2 nodes ÷ 1 node', 'thread ×2', 'thread'], ['board, 2 nodes ÷ 1 node', 'board ×2', 'board'],
  ['thread, 2 ceilings ÷ 1', 'thread ceiling ×2', 'thread ceiling'], ['board, 2 ceilings ÷ 1', 'board ceiling ×2', 'board ceiling']]
for (const [name, p, q] of ratios) {
  if (!runs.every((r) => r.loads[p] && r.loads[q])) continue
  const rps = runs.map((r) => r.loads[p]!.rpsMean / r.loads[q]!.rpsMean)
  const cpu = runs.map((r) => r.loads[q]!.cpuUsPerReq / r.loads[p]!.cpuUsPerReq)
  const goal = q.includes('ceiling') && !p.includes('ceiling') ? `  goal ≥ ${GOAL.ratio}: ${median(rps) >= GOAL.ratio ? 'met' : 'NOT met'}` : ''
  log(`${name}${q.includes('ceiling') && !p.includes('ceiling') ? ' ÷ its ceiling' : ''}: req/s ${runsOf(rps, 2)}, per server CPU ${runsOf(cpu, 2)}${goal}`)
}
const c = runs[0]!.chrome
const rc = runs[0]!.readerChrome
log(`thread page (run 1): ${fmt(c.pageBytes)} B = 200 stored post bodies ${fmt(c.bodyBytes)} B + chrome ${fmt(c.chrome)} B (shell ${fmt(c.shellBytes)} B + ${c.perPost.toFixed(1)} B per post)  goal ≤ ${GOAL.chromeBytes} B: ${c.chrome <= GOAL.chromeBytes ? 'met' : 'NOT met'}`)
log(`  logged-in reader's page: ${fmt(rc.pageBytes)} B, chrome ${fmt(rc.chrome)} B (shell ${fmt(rc.shellBytes)} B)`)
let lost = 0
for (let i = 0; i < runs[0]!.posting.length; i++) {
  const ps = runs.map((r) => r.posting[i]!)
  lost += ps.reduce((n, p) => n + p.lost!, 0)
  const pps = median(ps.map((p) => p.postsPerSecond))
  log(`posting, ${ps[0]!.nodes} node(s): ${runsOf(ps.map((p) => p.postsPerSecond))} posts/s, p50 ${runsOf(ps.map((p) => p.p50), 1)} ms, p99 ${runsOf(ps.map((p) => p.p99), 1)} ms; server ${fmt(median(ps.map((p) => p.cpuUsPerPost)))} CPU-µs/post` +
    `${PG ? ` (+ postgres ${fmt(median(ps.map((p) => p.elsewhereUsPerPost[0]!)))}, redis ${fmt(median(ps.map((p) => p.elsewhereUsPerPost[1]!)))})` : ''} at ${ps.map((p) => fmt(100 * p.cpuShare)).join('/')}% of a core, waited ${ps.map((p) => fmt(100 * p.waitShare)).join('/')}%; ` +
    `acknowledged ${ps.map((p) => p.acked).join('/')} = stored ${ps.map((p) => p.stored).join('/')}, lost ${ps.map((p) => p.lost).join('/')}, stored unacknowledged ${ps.map((p) => p.unacknowledged).join('/')}, duplicates ${ps.map((p) => p.duplicates).join('/')}, numbers 1..n ${ps.every((p) => p.contiguous)}, failures ${JSON.stringify(ps.map((p) => p.failures))}` +
    `  goal ≥ ${GOAL.postsPerSecond} posts/s, none lost: ${pps >= GOAL.postsPerSecond && lost === 0 ? 'met' : 'NOT met'}`)
}
if (runs.length > 1 && runs[0]!.posting.length === 2) log(`posting, 2 nodes ÷ 1 node: ${runsOf(runs.map((r) => r.posting[1]!.postsPerSecond / r.posting[0]!.postsPerSecond), 2)}`)
log(`load average (1 min) per run: ${runs.map((r) => r.load1).join('; ')}`)
const bad = runs.flatMap((r) => Object.values(r.loads)).filter((l) => l.bad > 0)
const failed = runs.flatMap((r) => r.posting).filter((p) => Object.keys(p.failures).length > 0 || !p.contiguous || p.duplicates || p.unacknowledged)
const errors = runs.flatMap((r) => r.output.split('\n')).filter((l) => /internal error|warning/.test(l))
if (bad.length) log(`WARNING: errors, timeouts or non-2xx responses in: ${bad.map((l) => l.label).join(', ')}`)
if (errors.length) log(`WARNING: the servers logged: ${[...new Set(errors)].slice(0, 3).join(' | ')}`)
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, dialect: PG ? 'postgres' : 'sqlite', nodes: NODES, connections: C, duration: DURATION, warmup: WARMUP, postDuration: POST_DURATION, runs: runs.map(({ output: _, ...r }) => r) }, null, 2))
process.exitCode = bad.length || lost || failed.length || errors.length ? 1 : 0
log(header('end'))
