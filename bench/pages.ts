// npm run bench — page speed against ceilings, and posting speed with a lost-posts check.
//
// Each run: seed a fresh temporary DATA_DIR (bench/seed.ts), start the REAL server (src/main.ts in
// its own process, as `npm start` does and as tests/support/server.ts spawns it), take a disposable
// identity over HTTP for a logged-in reader (GET /identity for the cb_csrf cookie and _csrf field,
// POST /identity/disposable for cb_session), fetch the thread page (200 posts) and the board page
// (50 threads) once, start one ceiling process per page (bench/ceiling.ts: Hono serving the anonymous
// page's exact bytes), then load each with autocannon from this process:
//   thread page, its ceiling, thread page as the logged-in reader (same ceiling), board page, its
//   ceiling — 127.0.0.1 only, c=10, d=BENCH_DURATION.
// Then 10 posters (10 disposable identities, each with its own cookies and form token) reply to the
// benchmark thread for BENCH_POST_DURATION seconds, 10 requests in flight; after the server has
// stopped, the database is opened read-only and every acknowledged post (303) must be there.
//
// Environment (all optional):
//   BENCH_DURATION=10       seconds per autocannon measurement
//   BENCH_WARMUP=2          seconds of unmeasured load before each measurement (0: none)
//   BENCH_POST_DURATION     seconds of posting (default: BENCH_DURATION)
//   BENCH_CONNECTIONS=10    connections for pages, and posters for posting
//   BENCH_RUNS=1            whole runs (fresh seed and server each); medians are printed across them
//   BENCH_JSON=FILE         also write every figure as JSON
//   BENCH_ONLY=thread,reader,board,post   measure only these parts (for profiling; reader = the
//                           thread page as the logged-in reader)
//   BENCH_PROFILE=DIR       run the server with --cpu-prof into DIR (open the .cpuprofile in a profiler)
// The anonymous page requests carry no cookies (a reader with no identity, the common case): the
// server answers them from its whole-page cache, with no cookie or token. The logged-in reader's
// requests carry both cookies (cb_csrf and cb_session): that page is built per request as the
// viewer's head and foot (with the reply form and its token) around the cached posts.
import { Agent } from 'node:http'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon, { type Result } from 'autocannon'
import BetterSqlite3 from 'better-sqlite3'
import { fixtureLines, seed, type Seeded } from './seed.ts'
import { cookieHeader, cookiesFrom, send, startCeiling, startServer, stopProcess, tokenAfterLogin, tokenIn, type Server } from './lib.ts'

const num = (name: string, dflt: number) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`)
  return n
}
const DURATION = num('BENCH_DURATION', 10)
const WARMUP = num('BENCH_WARMUP', 2)
const POST_DURATION = num('BENCH_POST_DURATION', DURATION)
const CONNECTIONS = num('BENCH_CONNECTIONS', 10)
const RUNS = Math.max(1, Math.round(num('BENCH_RUNS', 1)))
const ROOT = new URL('../', import.meta.url).pathname
const ONLY = new Set((process.env.BENCH_ONLY ?? 'thread,reader,board,post').split(',').map((x) => x.trim()))
const PROFILE = process.env.BENCH_PROFILE

// ---------- the real server ----------

/** src/main.ts as tests/support/server.ts starts it (loopback, free port, own DATA_DIR), plus node flags for profiling. */
const startRealServer = (dataDir: string, nodeArgs: string[] = []) => startServer(dataDir, {}, nodeArgs)

// ---------- measuring pages ----------

// The machine is shared: when other jobs take the CPU, req/s falls for reasons that are not the
// server's. So each measurement also reads the server process's own CPU time (utime + stime from
// /proc/PID/stat) over the measured seconds: CPU µs per request is the server's cost per page,
// and it hardly moves with the noise; "cpu%" shows how much of a core the server actually got.
// "waited" is how much of the measured time the server's main (JavaScript) thread was ready to run
// but waiting for a CPU (run-queue delay, /proc/PID/schedstat): high means other jobs took the CPU.
type Load = { label: string; url: string; bytes: number; rpsMean: number; rpsMedian: number; p50: number; p99: number; requests: number; bad: number; cpuUsPerReq: number; cpuShare: number; waitShare: number }

const TICK = 100 // USER_HZ on Linux
/** Seconds the process's main thread spent runnable but waiting for a CPU. */
function waitSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9
}
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / TICK
}

async function load(label: string, url: string, bytes: number, pid: number, headers?: Record<string, string>): Promise<Load> {
  const opts = { url, connections: CONNECTIONS, pipelining: 1, timeout: 10, ...(headers ? { headers } : {}) }
  if (WARMUP > 0) await autocannon({ ...opts, duration: WARMUP })
  const cpu0 = cpuSeconds(pid)
  const wait0 = waitSeconds(pid)
  const t0 = performance.now()
  const r: Result = await autocannon({ ...opts, duration: DURATION })
  const cpu = cpuSeconds(pid) - cpu0
  const waited = waitSeconds(pid) - wait0
  const wall = (performance.now() - t0) / 1000
  const bad = r.errors + r.timeouts + r.non2xx
  const out = { label, url, bytes, rpsMean: r.requests.mean, rpsMedian: r.requests.p50, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, bad, cpuUsPerReq: (cpu * 1e6) / r.requests.total, cpuShare: cpu / wall, waitShare: waited / wall }
  log(`  ${label.padEnd(16)} ${fmt(out.rpsMean).padStart(7)} req/s mean, ${fmt(out.rpsMedian).padStart(7)} median, p99 ${out.p99} ms; server ${out.cpuUsPerReq.toFixed(0)} CPU-µs/request at ${(100 * out.cpuShare).toFixed(0)}% of a core, waited for a CPU ${(100 * out.waitShare).toFixed(0)}%${bad ? `  (${bad} errors/timeouts/non-2xx!)` : ''}`)
  return out
}


async function fetchPage(url: string, headers: Record<string, string> = {}): Promise<{ bytes: Uint8Array; text: string; contentType: string; setCookie: boolean }> {
  const res = await fetch(url, { headers })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { bytes, text: new TextDecoder().decode(bytes), contentType: res.headers.get('content-type') ?? 'text/html; charset=UTF-8', setCookie: res.headers.getSetCookie().length > 0 }
}

// ---------- chrome ----------

// "Chrome" = the thread page's bytes minus the bytes of the 200 post bodies, where a post body is
// exactly the HTML stored for it at write time (post.body_html, rendered from Markdown) and emitted
// verbatim inside its <article class="post"> after the </header>. Everything else — layout, the
// per-post header line (number, pseudonym, time, signing label, links), the form — is chrome.
// Each stored body is checked to appear verbatim in the page, in order.
type Chrome = { pageBytes: number; bodyBytes: number; chrome: number; shellBytes: number; perPostWrapper: number; posts: number; articles: number }

const utf8Len = (s: string) => Buffer.byteLength(s, 'utf8')

function chromeOf(page: string, bodies: string[]): Chrome {
  let at = 0
  for (const [i, b] of bodies.entries()) {
    const j = page.indexOf(b, at)
    if (j < 0) throw new Error(`post ${i + 1}'s stored body_html is not in the page verbatim`)
    at = j + b.length
  }
  const articles = [...page.matchAll(/<article\b[^>]*\bclass="[^"]*\bpost\b[^"]*"/g)]
  const firstArticle = page.search(/<article\b/)
  const lastArticleEnd = page.lastIndexOf('</article>') + '</article>'.length
  const pageBytes = utf8Len(page)
  const bodyBytes = bodies.reduce((n, b) => n + utf8Len(b), 0)
  const chrome = pageBytes - bodyBytes
  const shellBytes = utf8Len(page.slice(0, firstArticle)) + utf8Len(page.slice(lastArticleEnd))
  return { pageBytes, bodyBytes, chrome, shellBytes, perPostWrapper: (chrome - shellBytes) / bodies.length, posts: bodies.length, articles: articles.length }
}

// ---------- posting ----------

// HTTP with cookies: the helpers shared with the other benchmarks (bench/lib.ts).

type Poster = { cookie: string; csrf: string }

/** A browser that takes a disposable identity: a page for the form-token cookie and token, then POST /identity/disposable. */
async function takeIdentity(agent: Agent, base: string): Promise<Poster> {
  const jar = new Map<string, string>()
  const page = await send(agent, `${base}/identity`, 'GET', {})
  cookiesFrom(page, jar)
  const csrf = tokenIn(page.body)
  if (!csrf || !jar.has('cb_csrf')) throw new Error('no form token on /identity')
  const taken = await send(agent, `${base}/identity/disposable`, 'POST', { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) }, new URLSearchParams({ _csrf: csrf }).toString())
  cookiesFrom(taken, jar)
  if (taken.status !== 303 || !jar.has('cb_session')) throw new Error(`POST /identity/disposable: ${taken.status}`)
  return { cookie: cookieHeader(jar), csrf: await tokenAfterLogin(agent, base, jar) }
}

type Posting = {
  posters: number
  seconds: number
  acked: number
  postsPerSecond: number
  p50: number
  p99: number
  failures: Record<string, number>
  storedBefore: number
  storedAfter: number
  stored: number
  lost: number
  unacknowledgedButStored: number
  duplicateNumbers: number
  numbersContiguous: boolean
  cpuUsPerPost: number
  cpuShare: number
  waitShare: number
}

async function postingBench(base: string, s: Seeded, server: Server): Promise<Posting> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const posters: Poster[] = []
  for (let i = 0; i < CONNECTIONS; i++) posters.push(await takeIdentity(agent, base))
  if (new Set(posters.map((p) => p.cookie)).size !== posters.length) throw new Error('posters share cookies')
  const lines = fixtureLines()
  const count = (db: BetterSqlite3.Database) => (db.prepare('select count(*) as n from post where thread_id = ?').get(s.threadId) as { n: number }).n
  const before = (() => {
    const db = new BetterSqlite3(s.dbFile, { readonly: true, fileMustExist: true })
    try {
      return count(db)
    } finally {
      db.close()
    }
  })()

  const url = `${base}${s.threadPath}`
  const latencies: number[] = []
  const ackedNumbers: number[] = []
  const failures: Record<string, number> = {}
  const t0 = performance.now()
  const deadline = t0 + POST_DURATION * 1000
  const cpu0 = cpuSeconds(server.pid)
  const wait0 = waitSeconds(server.pid)
  let lastEnd = t0
  await Promise.all(
    posters.map(async (p, i) => {
      for (let k = 0; performance.now() < deadline; k++) {
        const body = new URLSearchParams({ _csrf: p.csrf, body: `${lines[(i * 20 + k) % lines.length]} (poster ${i + 1}, post ${k + 1})` }).toString()
        const start = performance.now()
        try {
          const r = await send(agent, url, 'POST', { 'content-type': 'application/x-www-form-urlencoded', cookie: p.cookie }, body)
          const n = /#p(\d+)$/.exec(String(r.headers.location ?? ''))
          if (r.status === 303 && n) {
            latencies.push(performance.now() - start)
            ackedNumbers.push(Number(n[1]))
          } else failures[`HTTP ${r.status}`] = (failures[`HTTP ${r.status}`] ?? 0) + 1
        } catch (e) {
          const key = (e as Error).message
          failures[key] = (failures[key] ?? 0) + 1
        }
        lastEnd = performance.now()
      }
    }),
  )
  const seconds = (lastEnd - t0) / 1000
  const cpu = cpuSeconds(server.pid) - cpu0
  const waited = waitSeconds(server.pid) - wait0
  agent.destroy()

  // Count after a clean stop, read-only: what is on disk is what was kept.
  await server.stop()
  const db = new BetterSqlite3(s.dbFile, { readonly: true, fileMustExist: true })
  let stored: number
  let present: Set<number>
  let contiguous: boolean
  try {
    stored = count(db)
    const numbers = (db.prepare('select number from post where thread_id = ? order by number').all(s.threadId) as { number: number }[]).map((r) => r.number)
    present = new Set(numbers)
    contiguous = numbers.every((n, i) => n === i + 1)
  } finally {
    db.close()
  }
  const ackedSet = new Set(ackedNumbers)
  const lost = [...ackedSet].filter((n) => !present.has(n)).length
  latencies.sort((a, b) => a - b)
  const pct = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]! : NaN)
  return {
    posters: posters.length,
    seconds,
    acked: ackedNumbers.length,
    postsPerSecond: ackedNumbers.length / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    failures,
    storedBefore: before,
    storedAfter: stored,
    stored: stored - before,
    lost,
    unacknowledgedButStored: stored - before - ackedSet.size,
    duplicateNumbers: ackedNumbers.length - ackedSet.size,
    numbersContiguous: contiguous,
    cpuUsPerPost: (cpu * 1e6) / Math.max(1, ackedNumbers.length),
    cpuShare: cpu / seconds,
    waitShare: waited / seconds,
  }
}

// ---------- one run ----------

type Run = {
  thread?: Load
  threadCeiling?: Load
  threadReader?: Load
  board?: Load
  boardCeiling?: Load
  chrome: Chrome
  readerChrome: Chrome
  boardThreads: number
  posting?: Posting
  serverOutput: string
}

async function oneRun(n: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-'))
  const children: ChildProcess[] = []
  let server: Server | undefined
  try {
    log(`run ${n}/${RUNS}: seeding ${dir}`)
    const s = await seed(join(dir, 'data'))
    server = await startRealServer(s.dataDir, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [])
    const base = server.url.replace(/\/$/, '')
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) throw new Error(`the server is not on 127.0.0.1: ${base}`)

    // The logged-in reader: a disposable identity taken over HTTP, as a browser takes it.
    const readerAgent = new Agent({ keepAlive: false })
    const reader = await takeIdentity(readerAgent, base).finally(() => readerAgent.destroy())

    const threadPage = await fetchPage(base + s.threadPath)
    const boardPage = await fetchPage(base + s.boardPath)
    if (threadPage.setCookie || boardPage.setCookie) throw new Error('an anonymous page set a cookie')
    if (tokenIn(threadPage.text)) throw new Error('the anonymous thread page carries a form token')
    // The reader's page must really be the per-viewer one: the reply form with a token (masked
    // afresh on every page, so it never equals an earlier one) and no new cookie.
    const readerPage = await fetchPage(base + s.threadPath, { cookie: reader.cookie })
    if (!tokenIn(readerPage.text) || !/<textarea\b[^>]*name="body"/.test(readerPage.text)) throw new Error("the logged-in reader's thread page has no reply form with this browser's token")
    if (readerPage.setCookie) throw new Error("the logged-in reader's thread page set a cookie (the session was not recognised?)")
    if (Buffer.compare(Buffer.from(readerPage.bytes), Buffer.from(threadPage.bytes)) === 0) throw new Error("the logged-in reader got the anonymous page")
    const bodies = (() => {
      const db = new BetterSqlite3(s.dbFile, { readonly: true, fileMustExist: true })
      try {
        return (db.prepare('select body_html from post where thread_id = ? order by number').all(s.threadId) as { body_html: string }[]).map((r) => r.body_html)
      } finally {
        db.close()
      }
    })()
    const chrome = chromeOf(threadPage.text, bodies)
    if (chrome.articles !== 200) throw new Error(`the thread page shows ${chrome.articles} posts, expected 200`)
    const readerChrome = chromeOf(readerPage.text, bodies)
    if (readerChrome.articles !== 200) throw new Error(`the logged-in reader's thread page shows ${readerChrome.articles} posts, expected 200`)
    const list = /<ol id="threads"[^>]*>([\s\S]*?)<\/ol>/.exec(boardPage.text)?.[1] ?? ''
    const boardThreads = (list.match(/<li\b/g) ?? []).length
    if (boardThreads !== 50) throw new Error(`the board page lists ${boardThreads} threads, expected 50`)

    const threadCeiling = await startCeiling(dir, 'thread', threadPage.bytes, threadPage.contentType, s.threadPath)
    children.push(threadCeiling.proc)
    const boardCeiling = await startCeiling(dir, 'board', boardPage.bytes, boardPage.contentType, s.boardPath)
    children.push(boardCeiling.proc)
    for (const [u, want] of [[threadCeiling.url, threadPage.bytes], [boardCeiling.url, boardPage.bytes]] as const) {
      const got = (await fetchPage(u)).bytes
      if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) throw new Error(`the ceiling at ${u} does not serve the page's bytes`)
    }

    log(`  thread page ${threadPage.bytes.length} B (chrome ${chrome.chrome} B; logged-in ${readerPage.bytes.length} B, shell ${readerChrome.shellBytes} B), board page ${boardPage.bytes.length} B; c=${CONNECTIONS}, d=${DURATION}s, warm-up ${WARMUP}s`)
    const run: Run = { chrome, readerChrome, boardThreads, serverOutput: '' }
    if (ONLY.has('thread')) {
      run.thread = await load('thread page', base + s.threadPath, threadPage.bytes.length, server.pid)
      if (!PROFILE) run.threadCeiling = await load('thread ceiling', threadCeiling.url, threadPage.bytes.length, threadCeiling.proc.pid!)
    }
    if (ONLY.has('reader')) {
      run.threadReader = await load('thread logged-in', base + s.threadPath, readerPage.bytes.length, server.pid, { cookie: reader.cookie })
      if (!PROFILE && !run.threadCeiling) run.threadCeiling = await load('thread ceiling', threadCeiling.url, threadPage.bytes.length, threadCeiling.proc.pid!)
    }
    if (ONLY.has('board')) {
      run.board = await load('board page', base + s.boardPath, boardPage.bytes.length, server.pid)
      if (!PROFILE) run.boardCeiling = await load('board ceiling', boardCeiling.url, boardPage.bytes.length, boardCeiling.proc.pid!)
    }
    for (const c of children) await stopProcess(c)

    if (ONLY.has('post')) {
      log(`  posting: ${CONNECTIONS} posters, ${POST_DURATION}s`)
      run.posting = await postingBench(base, s, server)
      const p = run.posting
      log(`  posting: ${fmt(p.postsPerSecond)} posts/s, p99 ${p.p99.toFixed(1)} ms; server ${p.cpuUsPerPost.toFixed(0)} CPU-µs/post at ${(100 * p.cpuShare).toFixed(0)}% of a core, waited for a CPU ${(100 * p.waitShare).toFixed(0)}%; acknowledged ${p.acked}, stored ${p.stored}, lost ${p.lost}`)
    }
    await server.stop()
    run.serverOutput = server.output()
    return run
  } finally {
    for (const c of children) await stopProcess(c)
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------- report ----------

const log = (s: string) => console.log(s)
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–')
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const GOAL = { ratio: 0.8, chromeBytes: 8 * 1024, postsPerSecond: 300 }

async function main() {
  log(`cellboard bench: node ${process.version}, ${cpus().length} CPUs (nproc), c=${CONNECTIONS}, d=${DURATION}s, ${RUNS} run(s)`)
  const runs: Run[] = []
  for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i))

  const m = (f: (r: Run) => number) => median(runs.map(f))
  const rows: [string, (r: Run) => Load | undefined][] = [
    ['thread page (200 posts)', (r) => r.thread],
    ['  its ceiling', (r) => r.threadCeiling],
    ['thread page, logged-in reader', (r) => r.threadReader],
    ['board page (50 threads)', (r) => r.board],
    ['  its ceiling', (r) => r.boardCeiling],
  ]
  log('')
  log(`Medians over ${runs.length} run(s):`)
  log('| what | bytes | req/s mean | req/s median | p99 ms | server CPU-µs/req | server cpu% | server waited for CPU % |')
  log('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const [name, f] of rows) {
    if (!f(runs[0]!)) continue
    log(`| ${name} | ${fmt(m((r) => f(r)!.bytes))} | ${fmt(m((r) => f(r)!.rpsMean))} | ${fmt(m((r) => f(r)!.rpsMedian))} | ${m((r) => f(r)!.p99)} | ${fmt(m((r) => f(r)!.cpuUsPerReq))} | ${fmt(100 * m((r) => f(r)!.cpuShare))} | ${fmt(100 * m((r) => f(r)!.waitShare))} |`)
  }
  log('')
  const ratioText = (xs: number[]) => `${median(xs).toFixed(2)} (runs: ${xs.map((x) => x.toFixed(2)).join(', ')})`
  for (const [name, page, ceiling] of [
    ['thread', (r: Run) => r.thread, (r: Run) => r.threadCeiling],
    ['thread (logged-in reader)', (r: Run) => r.threadReader, (r: Run) => r.threadCeiling],
    ['board', (r: Run) => r.board, (r: Run) => r.boardCeiling],
  ] as const) {
    if (!page(runs[0]!) || !ceiling(runs[0]!)) continue
    const xs = runs.map((r) => page(r)!.rpsMean / ceiling(r)!.rpsMean)
    const ys = runs.map((r) => page(r)!.rpsMedian / ceiling(r)!.rpsMedian)
    const zs = runs.map((r) => ceiling(r)!.cpuUsPerReq / page(r)!.cpuUsPerReq)
    log(`${name} page / ceiling: req/s mean ${ratioText(xs)}, req/s median ${ratioText(ys)}  goal ≥ ${GOAL.ratio}: ${median(xs) >= GOAL.ratio ? 'met' : 'NOT met'}`)
    log(`  per server CPU-second (ceiling's CPU-µs/request ÷ page's): ${ratioText(zs)}`)
  }
  const c = runs[0]!.chrome
  log(`thread page: ${c.pageBytes} B = post bodies ${c.bodyBytes} B (${c.posts} stored body_html) + chrome ${c.chrome} B` +
    ` (page shell ${c.shellBytes} B + ${c.perPostWrapper.toFixed(1)} B of wrapper per post)  goal ≤ ${GOAL.chromeBytes} B: ${c.chrome <= GOAL.chromeBytes ? 'met' : 'NOT met'}`)
  const rc = runs[0]!.readerChrome
  log(`  logged-in reader's thread page: ${rc.pageBytes} B, chrome ${rc.chrome} B (page shell ${rc.shellBytes} B + ${rc.perPostWrapper.toFixed(1)} B per post)`)
  let lost = 0
  if (runs[0]!.posting) {
    const ps = runs.map((r) => r.posting!)
    const pps = median(ps.map((p) => p.postsPerSecond))
    lost = ps.reduce((n, p) => n + p.lost, 0)
    log(`posting: ${fmt(pps)} posts/s median (runs: ${ps.map((p) => fmt(p.postsPerSecond)).join(', ')}), p50 ${median(ps.map((p) => p.p50)).toFixed(1)} ms, p99 ${median(ps.map((p) => p.p99)).toFixed(1)} ms, ` +
      `server ${fmt(median(ps.map((p) => p.cpuUsPerPost)))} CPU-µs/post at ${fmt(100 * median(ps.map((p) => p.cpuShare)))}% of a core (runs: ${ps.map((p) => fmt(100 * p.cpuShare)).join(', ')}), waited for a CPU ${ps.map((p) => fmt(100 * p.waitShare) + '%').join(', ')}; ` +
      `acknowledged (303) ${ps.map((p) => p.acked).join('/')}, stored ${ps.map((p) => p.stored).join('/')}, lost ${lost}, ` +
      `stored without acknowledgement ${ps.map((p) => p.unacknowledgedButStored).join('/')}, duplicate numbers ${ps.map((p) => p.duplicateNumbers).join('/')}, ` +
      `numbers 1..n contiguous ${ps.every((p) => p.numbersContiguous)}, failures ${JSON.stringify(ps.map((p) => p.failures))}`)
    log(`  goal ≥ ${GOAL.postsPerSecond} posts/s with none lost: ${pps >= GOAL.postsPerSecond && lost === 0 ? 'met' : 'NOT met'}${lost === 0 ? ' (none lost)' : ` (${lost} LOST)`}`)
  }
  const bad = runs.flatMap((r) => [r.thread, r.threadCeiling, r.threadReader, r.board, r.boardCeiling]).filter((l): l is Load => l !== undefined && l.bad > 0)
  if (bad.length) log(`WARNING: errors, timeouts or non-2xx responses in: ${bad.map((l) => l.label).join(', ')}`)
  const errors = runs.map((r) => r.serverOutput).join('').split('\n').filter((l) => /internal error/.test(l))
  if (errors.length) log(`WARNING: the server logged ${errors.length} internal error(s), e.g.: ${errors[0]}`)
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, cpus: cpus().length, connections: CONNECTIONS, duration: DURATION, warmup: WARMUP, postDuration: POST_DURATION, runs: runs.map(({ serverOutput: _, ...r }) => r) }, null, 2))
  const failed = bad.length > 0 || lost > 0 || errors.length > 0
  process.exitCode = failed ? 1 : 0
}

await main()
