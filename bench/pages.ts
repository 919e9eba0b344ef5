// npm run bench — pages against their ceilings, and posting with the lost-post check
// (BENCHMARKS.md, "What is measured" and "PostgreSQL + Redis").
//
//   BENCH_RUNS=3 npm run bench                          SQLite, one node
//   BENCH_DURATION=2 BENCH_WARMUP=1 npm run bench       quick check, about 30 s
//   BENCH_DIALECT=postgres BENCH_RUNS=3 npm run bench   PostgreSQL + Redis, one node, then two
//
// Per run: a fresh board (bench/seed.ts), the real server, and per page a ceiling (bench/ceiling.ts).
// Loads, in order: the thread page (200 posts), its ceiling, the same page for a logged-in reader,
// the board page (50 threads), its ceiling; with two nodes, then both nodes at once and two
// ceilings. Then BENCH_CONNECTIONS posters with disposable identities reply (on node 1, then on
// both, which must serve the same pages afterwards). After the servers stop, every acknowledged
// post (a 303 to …#pN) must be stored, once, numbered 1..n.
// Environment: BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_POST_DURATION (= BENCH_DURATION)
// BENCH_CONNECTIONS=10 BENCH_RUNS=1 BENCH_JSON=FILE BENCH_ONLY=thread,reader,board,post
// BENCH_PROFILE=DIR (node 1 runs with --cpu-prof, no ceilings) BENCH_DIALECT=sqlite|postgres
// BENCH_NODES=1|2 (2 on PostgreSQL); PostgreSQL and Redis as the tests find them (TEST_DATABASE_URL, TEST_REDIS_URL).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tokensOf } from '../tests/support/forms.ts'
import {
  backendCpu, checkNumbers, commandCpu, disposable, fetchPage, firstVisit, fmt, header, load, load1, log, makePgDatabase, median, meter, num, onNode, only, pct, PROFILE, query,
  runsOf, samePage, sleep, startCeiling, startNode, submitLoop, wireGet, type Load, type Page, type Probe, type Proc, type Visitor, type Where,
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
// Posting: issue 15 asks ≥ 500 posts/s on SQLite, and on PostgreSQL ≥ 0.8× SQLite's rate, which
// bench/goals.ts (npm run bench) compares from one run of each.
const GOAL = { ratio: 0.8, chromeBytes: 8 * 1024, postsPerSecond: PG ? 0 : 500 }
const lines = fixtureLines()
const numbers = async (s: Where & { threadId: number }) => (await query<{ number: number }>(s, 'select number from post where thread_id = ? order by number', s.threadId)).map((r) => Number(r.number))

/** "Chrome": the page's bytes less the stored post bodies (each found verbatim, in order); the shell is what lies outside the articles. */
function chromeOf(page: string, bodies: string[]) {
  let at = 0
  for (const [i, b] of bodies.entries()) {
    if ((at = page.indexOf(b, at)) < 0) throw new Error(`post ${i + 1}'s stored body_html is not in the page verbatim`)
    at += b.length
  }
  const len = (s: string) => Buffer.byteLength(s)
  const [pageBytes, bodyBytes] = [len(page), bodies.reduce((n, b) => n + len(b), 0)]
  const shellBytes = len(page.slice(0, page.search(/<article\b/))) + len(page.slice(page.lastIndexOf('</article>') + '</article>'.length))
  return { pageBytes, bodyBytes, chrome: pageBytes - bodyBytes, shellBytes, perPost: (pageBytes - bodyBytes - shellBytes) / bodies.length, articles: (page.match(/<article\b[^>]*\bclass="[^"]*\bpost\b/g) ?? []).length }
}

/**
 * The posters reply for POST_DURATION s, poster i on node i mod n (a session made on node 1 works
 * on node 2). Every body differs: the same token with the same fields again would get the first
 * answer back (src/http/middleware/idempotency.ts) and post nothing.
 */
async function postOn(nodes: Proc[], posters: Visitor[], s: Seeded, extra: Probe[]) {
  const before = (await numbers(s)).length
  const clients = posters.map((v, i) => onNode(v, nodes[i % nodes.length]!.url))
  const p = { nodes: nodes.length, before, ...(await submitLoop(clients, POST_DURATION, (i, k) => ({ path: s.threadPath, fields: { body: `${lines[(i * 20 + k) % 200]} (poster ${i + 1}, post ${k + 1} on ${nodes.length} node(s))` } }), /#p(\d+)$/, nodes.map((n) => n.pid), extra)) }
  log(`  posting on ${p.nodes} node(s): ${fmt(p.pps)} posts/s, p50 ${fmt(p.p50, 1)} ms, p99 ${fmt(p.p99, 1)} ms; server ${fmt(p.cpuUs)} CPU-µs/post at ${fmt(100 * p.cpuShare)}% of a core, waited ${fmt(100 * p.waitShare)}%` +
    `${PG ? `; postgres + redis ${p.extraUs.map((x) => fmt(x)).join(' + ')} CPU-µs/post` : ''}; the posters ${fmt(p.clientUs)}; acknowledged ${p.acked.length}, failures ${JSON.stringify(p.failures)}; load ${load1()}`)
  return p
}
type Posting = Awaited<ReturnType<typeof postOn>> & ReturnType<typeof checkNumbers>
type Wire = Awaited<ReturnType<typeof firstVisit>> & { reader: number; readerEncoding: string | null }
type Run = { loads: Record<string, Load>; posting: Posting[]; chrome: ReturnType<typeof chromeOf>; readerChrome: ReturnType<typeof chromeOf>; wire: Wire; load1: string; output: string }

async function oneRun(n: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-'))
  const pgdb = PG ? await makePgDatabase('cb_bench') : null
  const procs: Proc[] = []
  const loads: Record<string, Load> = {}
  const load1Start = load1()
  try {
    log(`run ${n}/${RUNS}: seeding ${pgdb?.name ?? dir}`)
    const s = await seed(join(dir, 'data'), pgdb ? { DATABASE_URL: pgdb.url } : {})
    const env = (i: number): Record<string, string> => (pgdb ? pgdb.nodeEnv(join(dir, `node${i}`)) : { DATA_DIR: s.dataDir })
    const a = await startNode(env(1), PROFILE)
    const nodes = [a]
    procs.push(a)
    const extra: Probe[] = pgdb ? [backendCpu(pgdb.name), commandCpu('redis-server')] : []

    // The pages, and what they must be: the anonymous ones cached (no cookie, no token), the reader's built for them.
    const reader = await disposable(a.url)
    const [thread, board, readerPage] = [await fetchPage(a.url + s.threadPath), await fetchPage(a.url + s.boardPath), await fetchPage(a.url + s.threadPath, { cookie: reader.cookie })]
    if (thread.setCookie || board.setCookie || tokensOf(thread.text).length) throw new Error('an anonymous page set a cookie or carries a form token')
    if (!tokensOf(readerPage.text).length || !/<textarea\b[^>]*name="body"/.test(readerPage.text) || readerPage.setCookie || samePage(readerPage, thread)) throw new Error("the logged-in reader's page is not built for them")
    const bodies = (await query<{ body_html: string }>(s, 'select body_html from post where thread_id = ? order by number', s.threadId)).map((r) => r.body_html)
    const [chrome, readerChrome] = [chromeOf(thread.text, bodies), chromeOf(readerPage.text, bodies)]
    const listed = (/<ol id="threads"[^>]*>([\s\S]*?)<\/ol>/.exec(board.text)?.[1]?.match(/<li\b/g) ?? []).length
    if (chrome.articles !== 200 || readerChrome.articles !== 200 || listed !== 50) throw new Error(`the pages show ${chrome.articles} / ${readerChrome.articles} posts and ${listed} threads, expected 200 and 50`)
    const ceilings: Record<string, Proc[]> = { thread: [], board: [] }
    for (const [name, page, path] of [['thread', thread, s.threadPath], ['board', board, s.boardPath]] as [string, Page, string][]) {
      for (let i = 0; i < (PROFILE.length ? 0 : NODES); i++) procs.push((ceilings[name]![i] = await startCeiling(dir, `${name}${i}`, page, path)))
    }
    log(`  thread page ${fmt(thread.bytes.length)} B (chrome ${fmt(chrome.chrome)} B; logged-in ${fmt(readerPage.bytes.length)} B), board page ${fmt(board.bytes.length)} B; c=${C}, d=${DURATION} s, warm-up ${WARMUP} s`)
    // On the wire, as Tor Browser asks for it (Accept-Encoding: gzip, deflate).
    const visit = await firstVisit(a.url, s.threadPath, thread.text)
    const readerWire = await wireGet(a.url + s.threadPath, { cookie: reader.cookie })
    const wire: Wire = { ...visit, reader: readerWire.bytes, readerEncoding: readerWire.encoding }

    const L = async (key: string, on: Proc[], path: string | null, headers?: Record<string, string>) => {
      const targets = on.map((p) => ({ url: p.url + (path ?? ''), connections: Math.max(1, Math.round(C / on.length)), headers }))
      if (on.length) loads[key] = await load(`${key} (c=${targets.map((t) => t.connections).join('+')})`, targets, on.map((p) => p.pid), { duration: DURATION, warmup: WARMUP, extra: path === null ? [] : extra })
    }
    const loadAll = async (x: string) => {
      if (ONLY.has('thread')) await L(`thread${x}`, nodes, s.threadPath)
      if (ONLY.has('thread') || (ONLY.has('reader') && !x)) await L(`thread ceiling${x}`, ceilings.thread!.slice(0, nodes.length), null) // the reader's reference too
      if (ONLY.has('reader') && !x) await L('reader', nodes, s.threadPath, { cookie: reader.cookie })
      if (ONLY.has('board')) await L(`board${x}`, nodes, s.boardPath), await L(`board ceiling${x}`, ceilings.board!.slice(0, nodes.length), null)
    }
    await loadAll('')
    if (NODES === 2) {
      procs.push(nodes[1] = await startNode(env(2)))
      for (const [path, page] of [[s.threadPath, thread], [s.boardPath, board]] as const) if (!samePage(await fetchPage(nodes[1].url + path), page)) throw new Error(`node 2 serves other bytes at ${path}`)
      await loadAll(' ×2')
    }
    for (const c of [...ceilings.thread!, ...ceilings.board!]) await c.stop()

    const phases: Awaited<ReturnType<typeof postOn>>[] = []
    if (ONLY.has('post')) {
      const posters: Visitor[] = []
      for (let i = 0; i < C; i++) posters.push(await disposable(a.url))
      for (const on of NODES === 2 ? [[a], nodes] : [[a]]) phases.push(await postOn(on, posters, s, extra))
      if (NODES === 2) {
        await sleep(500)
        for (const path of [s.boardPath, `${s.threadPath}?page=2`]) if (!samePage(await fetchPage(a.url + path), await fetchPage(nodes[1]!.url + path))) throw new Error(`after posting, the nodes serve different pages at ${path}`)
        log('  after posting, both nodes serve the same board page and thread page 2')
      }
      if (pgdb) for (const v of posters) await v.post('/identity/burn', {}) // sessions leave Redis now, not in 12 h
    }
    for (const p of procs) await p.stop()
    // Read after a clean stop: what is stored is what was kept.
    const stored = await numbers(s)
    const posting = phases.map((ph, i) => ({ ...ph, ...checkNumbers(stored, ph.acked, ph.before, phases[i + 1]?.before ?? stored.length) }))
    for (const p of posting) log(`  check, ${p.nodes} node(s): acknowledged ${p.acked.length}, stored ${p.stored}, lost ${p.lost}, stored unacknowledged ${p.unacknowledged}, duplicates ${p.duplicates}, numbers 1..n ${p.contiguous}`)
    return { loads, posting, chrome, readerChrome, wire, load1: `${load1Start} → ${load1()}`, output: procs.map((p) => p.output()).join('') }
  } finally {
    for (const p of procs) await p.stop()
    await pgdb?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

log(header(`bench/pages.ts (${PG ? 'PostgreSQL + Redis' : 'SQLite'}, ${NODES} node(s), ${RUNS} run(s))`))
const runs: Run[] = []
for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i))

log(`\nMedians over ${RUNS} run(s), per-run values in brackets:`)
log(`| what | req/s mean | req/s median | p50 ms | p99 ms | server CPU-µs/req | server cpu% | waited |${PG ? ' postgres + redis CPU-µs/req |' : ''}\n|---|---:|---:|---:|---:|---:|---:|---:|${PG ? '---:|' : ''}`)
for (const k of Object.keys(runs[0]!.loads)) {
  const xs = runs.map((r) => r.loads[k]!)
  const mid = (f: (l: Load) => number) => fmt(median(xs.map(f)))
  log(`| ${xs[0]!.label} | ${runsOf(xs.map((l) => l.rpsMean))} | ${mid((l) => l.rpsMedian)} | ${mid((l) => l.p50)} | ${mid((l) => l.p99)} | ${mid((l) => l.cpuUsPerReq)} | ${mid((l) => 100 * l.cpuShare)} | ${mid((l) => 100 * l.waitShare)} % |` +
    `${PG ? ` ${xs[0]!.extraUsPerReq.map((_, i) => mid((l) => l.extraUsPerReq[i]!)).join(' + ') || '–'} |` : ''}`)
}
log("Ratios within each run, against a reference measured in the same run (per server CPU: the reference's CPU-µs per request ÷ this one's):")
for (const [p, q] of [['thread', 'thread ceiling'], ['reader', 'thread ceiling'], ['board', 'board ceiling'], ['thread ×2', 'thread ceiling ×2'], ['board ×2', 'board ceiling ×2'],
  ['thread ×2', 'thread'], ['board ×2', 'board'], ['thread ceiling ×2', 'thread ceiling'], ['board ceiling ×2', 'board ceiling']] as const) {
  if (!runs.every((r) => r.loads[p] && r.loads[q])) continue
  const rps = runs.map((r) => r.loads[p]!.rpsMean / r.loads[q]!.rpsMean)
  const goal = q.includes('ceiling') && !p.includes('ceiling') ? `  goal ≥ ${GOAL.ratio}: ${median(rps) >= GOAL.ratio ? 'met' : 'NOT met'}` : ''
  log(`${p} ÷ ${q}: req/s ${runsOf(rps, 2)}, per server CPU ${runsOf(runs.map((r) => r.loads[q]!.cpuUsPerReq / r.loads[p]!.cpuUsPerReq), 2)}${goal}`)
}
const [c, rc] = [runs[0]!.chrome, runs[0]!.readerChrome]
log(`thread page (run 1): ${fmt(c.pageBytes)} B = 200 stored post bodies ${fmt(c.bodyBytes)} B + chrome ${fmt(c.chrome)} B (shell ${fmt(c.shellBytes)} B + ${c.perPost.toFixed(1)} B per post)  goal ≤ ${GOAL.chromeBytes} B: ${c.chrome <= GOAL.chromeBytes ? 'met' : 'NOT met'}`)
log(`  logged-in reader's page: ${fmt(rc.pageBytes)} B, chrome ${fmt(rc.chrome)} B (shell ${fmt(rc.shellBytes)} B)`)
const w = runs[0]!.wire
const met = (x: number, goal: number) => `goal ≤ ${fmt(goal)} B: ${x <= goal ? 'met' : 'NOT met'}`
log(`on the wire as Tor Browser asks (gzip, deflate), bodies only (run 1):`)
log(`  thread page (200 replies), ${w.encoding ?? 'uncompressed'}: ${fmt(w.page)} B  ${met(w.page, 6 * 1024)}`)
log(`  first visit, JS off (page + CSS): ${fmt(w.jsOff)} B  ${met(w.jsOff, 8 * 1024)}`)
log(`  first visit, JS on (+ ${w.scripts.length} scripts: ${w.scripts.join(', ')}): ${fmt(w.jsOn)} B  ${met(w.jsOn, 30 * 1024)}`)
log(`  logged-in reader's thread page, ${w.readerEncoding ?? 'uncompressed'}: ${fmt(w.reader)} B`)
for (let i = 0; i < runs[0]!.posting.length; i++) {
  const ps = runs.map((r) => r.posting[i]!)
  const all = (f: (p: Posting) => unknown) => ps.map(f).join('/')
  const ok = median(ps.map((p) => p.pps)) >= GOAL.postsPerSecond && ps.every((p) => p.lost === 0)
  log(`posting, ${ps[0]!.nodes} node(s): ${runsOf(ps.map((p) => p.pps))} posts/s, p50 ${runsOf(ps.map((p) => p.p50), 1)} ms, p99 ${runsOf(ps.map((p) => p.p99), 1)} ms; server ${fmt(median(ps.map((p) => p.cpuUs)))} CPU-µs/post` +
    `${PG ? ` (+ postgres ${fmt(median(ps.map((p) => p.extraUs[0]!)))}, redis ${fmt(median(ps.map((p) => p.extraUs[1]!)))})` : ''} at ${all((p) => fmt(100 * p.cpuShare))}% of a core, waited ${all((p) => fmt(100 * p.waitShare))}%; ` +
    `acknowledged ${all((p) => p.acked.length)} = stored ${all((p) => p.stored)}, lost ${all((p) => p.lost)}, stored unacknowledged ${all((p) => p.unacknowledged)}, duplicates ${all((p) => p.duplicates)}, numbers 1..n ${ps.every((p) => p.contiguous)}, ` +
    `failures ${JSON.stringify(ps.map((p) => p.failures))}  ${PG ? 'goal none lost (and ≥ 0.8× SQLite, bench/goals.ts)' : `goal ≥ ${GOAL.postsPerSecond} posts/s, none lost`}: ${ok ? 'met' : 'NOT met'}`)
}
if (runs[0]!.posting.length === 2) log(`posting, 2 nodes ÷ 1 node: ${runsOf(runs.map((r) => r.posting[1]!.pps / r.posting[0]!.pps), 2)}`)
log(`load average (1 min) per run: ${runs.map((r) => r.load1).join('; ')}`)
const bad = runs.flatMap((r) => Object.values(r.loads)).filter((l) => l.bad > 0).map((l) => l.label)
const failed = runs.flatMap((r) => r.posting).some((p) => p.lost || p.unacknowledged || p.duplicates || !p.contiguous || Object.keys(p.failures).length)
const errors = runs.flatMap((r) => r.output.split('\n')).filter((l) => /internal error|warning/.test(l))
if (bad.length) log(`WARNING: errors, timeouts or non-2xx responses in: ${bad.join(', ')}`)
if (errors.length) log(`WARNING: the servers logged: ${[...new Set(errors)].slice(0, 3).join(' | ')}`)
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, dialect: PG ? 'postgres' : 'sqlite', nodes: NODES, connections: C, duration: DURATION, warmup: WARMUP, postDuration: POST_DURATION, runs: runs.map(({ output: _, ...r }) => r) }, null, 2))
process.exitCode = bad.length || failed || errors.length ? 1 : 0
log(header('end'))
