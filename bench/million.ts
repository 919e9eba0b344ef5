// Reading a board of 1,000,000 posts, on SQLite and on PostgreSQL.
//
//   npx tsx bench/million.ts                        both dialects, 3 measurement runs each (~20 min)
//   MILLION_THREADS=2000 MILLION_RUNS=1 BENCH_DURATION=2 npx tsx bench/million.ts    quick check
//
// Load (per dialect): the real migrations (openStorage + migrateToLatest) and the default cell and
// board (ensureDefaultCell: lobby/general), then bulk inserts that bypass the signing services:
// MILLION_KEYS (300) real disposable public keys; MILLION_THREADS (20,000) threads of 50 posts
// each, except one "deep" thread in the middle with 200 posts. Posts interleave as on a busy board
// (each new post goes to a random one of the 500 most recently started unfinished threads), so a
// thread's posts are scattered over the table. Bodies: 1,000 distinct ~200-character texts (the
// fixture lines in 5 Markdown variants), each rendered once with renderPostBody and reused;
// signed_text is the canonical post text plus a real signature block of the poster's key (not a
// valid signature of that text, but the right size). Thread counters (post_count, last_number,
// last_post_id, last_post_at) come from the same simulation and are checked against the posts.
// SQLite: one connection from openSqlite (the product's pragmas), 50,000 rows per transaction,
// then a WAL checkpoint. PostgreSQL: 10,000 rows per INSERT … SELECT FROM unnest(…), the identity
// sequences moved past the explicit ids, then VACUUM (ANALYZE) (so autovacuum does not start on
// the fresh 1M rows during the measurements).
//
// Then, per run and dialect (server restarted each run: its page cache starts empty):
// first-request latency (cache misses) of the deep thread and board pages 1, 300 and 400, then
// autocannon c=10, d=BENCH_DURATION after BENCH_WARMUP s of the same load:
//   - the deep thread page (200 posts), board page 1, board page 300 (cached after the first hit);
//   - cold-ish: 3,000 different thread pages (50 posts each) in a global cycle — the page cache
//     holds 2,000 entries and an anonymous page takes 2 (its middle and the whole page), so every
//     request is a miss;
//   - cold-ish mix: the same, with every 5th request a board page cycling over all 400 pages (a
//     board page recurs every 2,000 requests, by when 1,999 other pages have pushed it out).
// SQLite runs without Redis, PostgreSQL with REDIS_URL (as each is deployed). At the end the
// PostgreSQL database is dropped and the temporary folders are deleted, also after a failure.
// Environment: MILLION_DIALECTS=sqlite,postgres MILLION_RUNS=3 MILLION_THREADS=20000 MILLION_KEYS=300
// BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_JSON=FILE MILLION_LOAD_LIMIT_S=1800 (the load aborts past it);
// for profiling: MILLION_ONLY=deepThread,board1,boardFar,coldThreads,coldMix (the loads to run) and
// BENCH_PROFILE=DIR (the server runs with --cpu-prof into DIR).
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { loadConfig } from '../src/config.ts'
import { migrateToLatest, openSqlite } from '../src/db/connect.ts'
import { openStorage } from '../src/db/storage.ts'
import { renderPostBody } from '../src/domain/markdown.ts'
import { canonicalPostText } from '../src/domain/posts.ts'
import { coarseTime } from '../src/domain/time.ts'
import { clearsign, generateDisposableKey } from '../src/pgp.ts'
import { ensureDefaultCell } from '../src/services/cells.ts'
import { fixtureLines } from './seed.ts'
import { backendCpu, fetchPage, fmt, load, loadavg, log, makePgDatabase, median, num, REDIS_URL, startServer, type Load, type Proc } from './support.ts'

const DIALECTS = (process.env.MILLION_DIALECTS ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[]
const RUNS = Math.max(1, Math.round(num('MILLION_RUNS', 3)))
const THREADS = num('MILLION_THREADS', 20_000)
const KEYS = num('MILLION_KEYS', 300)
const DURATION = num('BENCH_DURATION', 10)
const WARMUP = num('BENCH_WARMUP', 2)
const LOAD_LIMIT_MS = num('MILLION_LOAD_LIMIT_S', 1800) * 1000
const PER_THREAD = 50
const DEEP = Math.floor(THREADS / 2) // index; its id is DEEP + 1
const DEEP_POSTS = 200
const WINDOW = 500
const SITE = 'cellboard.local'
const CELL = 'lobby'
const BOARD = 'general'
const BOARD_PATH = `/c/${CELL}/${BOARD}`
const COLD_THREADS = 3000
const PAGES = Math.ceil(THREADS / 50) // board pages (THREADS_PER_PAGE = 50)
const FAR = Math.min(300, PAGES) // the far board page
const SPAN_MS = 2 * 365 * 86_400_000 // two years of posting
const HOUR = 3_600_000
const ONLY = new Set((process.env.MILLION_ONLY ?? 'deepThread,board1,boardFar,coldThreads,coldMix').split(','))
const PROFILE = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []

// ---------- the data, simulated once (same for both dialects) ----------

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Plan = { posts: number; thread: Int32Array; number: Int32Array; key: Int16Array; body: Int16Array; first: Int32Array; last: Int32Array; count: Int32Array; time: (g: number) => string }

/** Which thread each post (in id order) goes to: threads open in order, posts go to a random open one. */
function plan(): Plan {
  const rand = mulberry32(20261122)
  const want = (t: number) => (t === DEEP ? DEEP_POSTS : PER_THREAD)
  const total = THREADS * PER_THREAD + (DEEP_POSTS - PER_THREAD)
  const p: Plan = { posts: total, thread: new Int32Array(total), number: new Int32Array(total), key: new Int16Array(total), body: new Int16Array(total), first: new Int32Array(THREADS), last: new Int32Array(THREADS), count: new Int32Array(THREADS), time: () => '' }
  const t0 = Date.UTC(2024, 10, 1)
  p.time = (g) => coarseTime(t0 + Math.floor((g * SPAN_MS) / total), HOUR)
  let g = 0
  const emit = (t: number) => {
    p.thread[g] = t
    p.number[g] = ++p.count[t]!
    p.key[g] = Math.floor(rand() * KEYS)
    p.body[g] = Math.floor(rand() * 1000)
    if (p.count[t] === 1) p.first[t] = g
    p.last[t] = g++
  }
  const open: number[] = []
  let next = 0
  const start = () => (emit(next), open.push(next++)) // a thread opens with its first post
  while (open.length < WINDOW && next < THREADS) start()
  while (open.length > 0) {
    const j = Math.floor(rand() * open.length)
    const t = open[j]!
    if (p.count[t]! < want(t)) emit(t)
    if (p.count[t]! >= want(t)) {
      open[j] = open[open.length - 1]!
      open.pop()
      if (next < THREADS) start()
    }
  }
  if (g !== total) throw new Error(`planned ${g} posts, expected ${total}`)
  return p
}

/** 1,000 distinct bodies of about 200 characters: the 200 fixture lines in 5 Markdown variants. */
function bodies(): { source: string[]; html: string[] } {
  const lines = fixtureLines()
  const source: string[] = []
  for (let v = 0; v < 5; v++) {
    for (const l of lines) {
      const w = l.split(' ')
      if (v === 1) w[3] = `*${w[3]}*`
      if (v === 2) w[5] = `\`${w[5]}\``
      if (v === 3) w.splice(8, 0, 'https://example.org/notes')
      source.push(v === 4 ? `${w.slice(0, 12).join(' ')}\n\n${w.slice(12).join(' ')}` : w.join(' '))
    }
  }
  // No >>N references in these bodies, so the thread path given to the renderer does not matter.
  return { source, html: source.map((b) => renderPostBody(b, `${BOARD_PATH}/t/1`)) }
}

type Keys = { fingerprint: string[]; armored: string[]; signature: string[] }

async function keys(): Promise<Keys> {
  const k: Keys = { fingerprint: [], armored: [], signature: [] }
  for (let i = 0; i < KEYS; i++) {
    const pair = await generateDisposableKey(new Date())
    const signed = await clearsign('cellboard post v1\n\nsample', pair.armoredPrivate, new Date())
    k.fingerprint.push(pair.fingerprint)
    k.armored.push(pair.armoredPublic)
    k.signature.push(signed.slice(signed.indexOf('-----BEGIN PGP SIGNATURE-----')))
  }
  return k
}

const title = (t: number, lines: string[]) => (t === DEEP ? 'Deep benchmark thread (200 posts)' : `Thread ${t + 1}: ${lines[t % lines.length]!.slice(10, 60).trim()}`)

/** Row g of the post table, as the product would have written it (ids start at 1). */
function postRow(p: Plan, b: ReturnType<typeof bodies>, k: Keys, g: number) {
  const t = p.thread[g]!
  const body = b.source[p.body[g]!]!
  const text = canonicalPostText({ site: SITE, cell: CELL, board: BOARD, thread: t + 1, title: null, body })
  return [g + 1, t + 1, p.number[g]!, p.key[g]! + 1, 'disposable', body, b.html[p.body[g]!]!, `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${text}\n${k.signature[p.key[g]!]!}`, p.time(g)] as const
}
const POST_COLUMNS = 'id, thread_id, number, key_id, signing, body_source, body_html, signed_text, created_at'
const THREAD_COLUMNS = 'id, board_id, number, title, created_at, post_count, last_number, last_post_id, last_post_at'

// ---------- loading ----------

type Loaded = { dialect: 'sqlite' | 'postgres'; dataDir: string; dbUrl?: string; dbName?: string; drop?: () => Promise<void>; loadSeconds: number; bytes: Record<string, number> }

async function loadDialect(dialect: 'sqlite' | 'postgres', p: Plan, b: ReturnType<typeof bodies>, k: Keys): Promise<Loaded> {
  const dataDir = mkdtempSync(join(tmpdir(), `cellboard-million-${dialect}-`))
  const pgdb = dialect === 'postgres' ? await makePgDatabase() : null
  const out: Loaded = { dialect, dataDir, ...(pgdb ? { dbUrl: pgdb.url, dbName: pgdb.name, drop: pgdb.drop } : {}), loadSeconds: 0, bytes: {} }
  const t0 = performance.now()
  const check = () => {
    if (performance.now() - t0 > LOAD_LIMIT_MS) throw new Error(`loading took longer than ${LOAD_LIMIT_MS / 1000} s: aborted`)
  }
  const config = loadConfig({ DATA_DIR: dataDir, ...(pgdb ? { DATABASE_URL: pgdb.url } : {}) })
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir })
  const lines = fixtureLines()
  let boardId: number
  let walBefore = ''
  try {
    await migrateToLatest(storage.db)
    await ensureDefaultCell({ db: storage.db, storage, config, now: () => Date.UTC(2024, 10, 1) })
    boardId = (await storage.db.selectFrom('board').select('id').where('slug', '=', BOARD).executeTakeFirstOrThrow()).id
    const created = coarseTime(Date.UTC(2024, 10, 1), HOUR)
    for (let i = 0; i < KEYS; i += 100) {
      await storage.db.insertInto('public_key').values(k.fingerprint.slice(i, i + 100).map((f, j) => ({ id: i + j + 1, fingerprint: f, armored: k.armored[i + j]!, created_at: created }))).execute()
    }
    if (pgdb) walBefore = (await sql<{ lsn: string }>`select pg_current_wal_lsn() as lsn`.execute(storage.db)).rows[0]!.lsn
  } finally {
    await storage.close()
  }
  const threadRow = (t: number) => [t + 1, boardId, t + 1, title(t, lines), p.time(p.first[t]!), p.count[t]!, p.count[t]!, p.last[t]! + 1, p.time(p.last[t]!)] as const

  if (dialect === 'sqlite') {
    const db = openSqlite(join(dataDir, 'cellboard.db'))
    try {
      const insertThread = db.prepare(`insert into thread (${THREAD_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      const insertPost = db.prepare(`insert into post (${POST_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      db.transaction(() => {
        for (let t = 0; t < THREADS; t++) insertThread.run(...threadRow(t))
        db.prepare('update board set last_thread_number = ? where id = ?').run(THREADS, boardId)
      })()
      const batch = db.transaction((from: number, to: number) => {
        for (let g = from; g < to; g++) insertPost.run(...postRow(p, b, k, g))
      })
      for (let g = 0; g < p.posts; g += 50_000) batch(g, Math.min(p.posts, g + 50_000)), check()
      db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      db.close()
    }
    out.loadSeconds = (performance.now() - t0) / 1000
    for (const f of ['cellboard.db', 'cellboard.db-wal']) if (existsSync(join(dataDir, f))) out.bytes[f] = statSync(join(dataDir, f)).size
  } else {
    const client = new pg.Client({ connectionString: pgdb!.url })
    await client.connect()
    try {
      await client.query('set synchronous_commit = off')
      const columns = (rows: (readonly unknown[])[]) => rows[0]!.map((_, i) => rows.map((r) => r[i]))
      const insert = async (table: string, cols: string, types: string[], rows: (readonly unknown[])[]) => {
        const args = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')
        await client.query(`insert into ${table} (${cols}) select * from unnest(${args})`, columns(rows))
      }
      for (let t = 0; t < THREADS; t += 5000) {
        const rows = []
        for (let u = t; u < Math.min(THREADS, t + 5000); u++) rows.push(threadRow(u))
        await insert('thread', THREAD_COLUMNS, ['int', 'int', 'int', 'text', 'text', 'int', 'int', 'int', 'text'], rows)
      }
      await client.query('update board set last_thread_number = $1 where id = $2', [THREADS, boardId])
      for (let g = 0; g < p.posts; g += 10_000) {
        const rows = []
        for (let h = g; h < Math.min(p.posts, g + 10_000); h++) rows.push(postRow(p, b, k, h))
        await insert('post', POST_COLUMNS, ['int', 'int', 'int', 'int', 'text', 'text', 'text', 'text', 'text'], rows)
        check()
      }
      // Explicit ids leave the identity sequences behind: move them on, or the next post collides.
      for (const t of ['public_key', 'thread', 'post']) await client.query(`select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`)
      out.loadSeconds = (performance.now() - t0) / 1000
      const tv = performance.now()
      await client.query('vacuum (analyze)')
      log(`  postgres: VACUUM (ANALYZE) took ${((performance.now() - tv) / 1000).toFixed(1)} s (not counted in the load time)`)
      const r = await client.query(`select pg_database_size(current_database()) as db, pg_total_relation_size('post') as post, pg_relation_size('post') as post_heap,
        pg_total_relation_size('thread') as thread, pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as wal`, [walBefore])
      for (const [key, v] of Object.entries(r.rows[0]!)) out.bytes[key] = Number(v)
    } finally {
      await client.end()
    }
  }
  await verify(out, p)
  log(`  ${dialect}: loaded ${fmt(p.posts)} posts in ${THREADS} threads in ${out.loadSeconds.toFixed(1)} s; bytes ${JSON.stringify(out.bytes)}`)
  return out
}

/** What was written, not what was meant: counters against the posts, and the totals. */
async function verify(l: Loaded, p: Plan) {
  const storage = await openStorage({ databaseUrl: l.dbUrl ?? null, dataDir: l.dataDir })
  try {
    const rows = await sql<{ thread_id: number; n: number; max_number: number; max_id: number }>`select thread_id, count(*) as n, max(number) as max_number, max(id) as max_id from post group by thread_id`.execute(storage.db)
    const threads = await storage.db.selectFrom('thread').select(['id', 'post_count', 'last_number', 'last_post_id']).execute()
    const byId = new Map(rows.rows.map((r) => [Number(r.thread_id), r]))
    let bad = 0
    for (const t of threads) {
      const r = byId.get(t.id)
      if (!r || Number(r.n) !== t.post_count || Number(r.max_number) !== t.last_number || Number(r.max_id) !== t.last_post_id || t.post_count !== p.count[t.id - 1]) bad++
    }
    const total = rows.rows.reduce((n, r) => n + Number(r.n), 0)
    if (bad > 0 || total !== p.posts || threads.length !== THREADS) throw new Error(`${l.dialect}: ${bad} threads with wrong counters, ${total} posts, ${threads.length} threads`)
  } finally {
    await storage.close()
  }
}

// ---------- measuring ----------

type Measured = Record<string, Load | number>

async function measure(l: Loaded, run: number): Promise<Measured> {
  const env: Record<string, string> = l.dbUrl ? { DATABASE_URL: l.dbUrl, REDIS_URL, DATA_DIR: join(l.dataDir, 'node') } : { DATA_DIR: l.dataDir }
  const t0 = performance.now()
  const server: Proc = await startServer(env, PROFILE)
  const m: Measured = { startSeconds: (performance.now() - t0) / 1000 }
  try {
    const base = server.url
    const deep = `${BOARD_PATH}/t/${DEEP + 1}`
    log(`${l.dialect}, run ${run}: server started in ${(m.startSeconds as number).toFixed(1)} s; load ${loadavg()}`)
    // First requests: each a cache miss.
    for (const [name, path] of [['firstDeepThread', deep], ['firstBoard1', BOARD_PATH], ['firstBoardFar', `${BOARD_PATH}?page=${FAR}`], ['firstBoardLast', `${BOARD_PATH}?page=${PAGES}`]] as const) {
      const t = performance.now()
      const page = await fetchPage(base + path)
      m[name] = performance.now() - t
      const items = name === 'firstDeepThread' ? (page.text.match(/<article\b/g) ?? []).length : (/<ol id="threads"[^>]*>([\s\S]*?)<\/ol>/.exec(page.text)?.[1]?.match(/<li\b/g) ?? []).length
      if (items !== (name === 'firstDeepThread' ? DEEP_POSTS : 50)) throw new Error(`${path} shows ${items} items`)
    }
    log(`  first request (miss): deep thread ${(m.firstDeepThread as number).toFixed(1)} ms, board page 1 ${(m.firstBoard1 as number).toFixed(1)} ms, ${FAR} ${(m.firstBoardFar as number).toFixed(1)} ms, ${PAGES} ${(m.firstBoardLast as number).toFixed(1)} ms`)
    const pgCpu = l.dbName ? backendCpu(l.dbName) : undefined
    const L = (label: string, url: string, requests?: unknown[]) => load(label, [{ url, connections: 10, ...(requests ? { requests } : {}) }], [server.pid], DURATION, WARMUP, pgCpu)
    if (ONLY.has('deepThread')) m.deepThread = await L('deep thread page (200 posts)', base + deep)
    if (ONLY.has('board1')) m.board1 = await L('board page 1', base + BOARD_PATH)
    if (ONLY.has('boardFar')) m.boardFar = await L(`board page ${FAR}`, base + `${BOARD_PATH}?page=${FAR}`)

    // Cold-ish: a global cycle over 3,000 thread pages (ids spread over the board, shuffled), every request a miss.
    const rand = mulberry32(run)
    const ids = Array.from({ length: COLD_THREADS }, (_, i) => 1 + Math.floor((i * THREADS) / COLD_THREADS)).filter((id) => id !== DEEP + 1)
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[ids[i], ids[j]] = [ids[j]!, ids[i]!]
    }
    let n = 0
    const threadPaths = [{ setupRequest: (req: object) => ({ ...req, path: `${BOARD_PATH}/t/${ids[n++ % ids.length]}` }) }]
    if (ONLY.has('coldThreads')) m.coldThreads = await L(`cold-ish: ${ids.length} thread pages`, base + BOARD_PATH, threadPaths)
    let k = 0
    let bp = 0
    const mixPaths = [{ setupRequest: (req: object) => ({ ...req, path: ++k % 5 === 0 ? `${BOARD_PATH}?page=${(bp++ % PAGES) + 1}` : `${BOARD_PATH}/t/${ids[n++ % ids.length]}` }) }]
    if (ONLY.has('coldMix')) m.coldMix = await L('cold-ish: threads + every 5th a board page', base + BOARD_PATH, mixPaths)
    const errors = server.output().split('\n').filter((x) => /internal error|warning/.test(x))
    if (errors.length) log(`  server output worth a look: ${[...new Set(errors)].slice(0, 3).join(' | ')}`)
    return m
  } finally {
    await server.stop()
  }
}

async function main() {
  log(`cellboard million bench: node ${process.version}, ${cpus().length} CPUs, ${DIALECTS.join(' + ')}, ${THREADS} threads, ${RUNS} run(s), c=10, d=${DURATION} s, ${new Date().toISOString()}, load ${loadavg()}`)
  const tp = performance.now()
  const p = plan()
  const b = bodies()
  const k = await keys()
  log(`planned ${fmt(p.posts)} posts, ${KEYS} keys, ${b.source.length} bodies in ${((performance.now() - tp) / 1000).toFixed(1)} s; deep thread id ${DEEP + 1}, its last post is post id ${p.last[DEEP]! + 1}`)
  const loaded: Loaded[] = []
  const results: Record<string, Measured[]> = {}
  try {
    for (const d of DIALECTS) loaded.push(await loadDialect(d, p, b, k))
    // Runs alternate between the dialects, so both see the same noise.
    for (let r = 1; r <= RUNS; r++) for (const l of loaded) (results[l.dialect] ??= []).push(await measure(l, r))
  } finally {
    for (const l of loaded) {
      await l.drop?.()
      rmSync(l.dataDir, { recursive: true, force: true })
    }
  }
  log('')
  log(`Medians over ${RUNS} run(s) (per-run values in brackets); load average now ${loadavg()}`)
  const runsOf = (xs: number[], d = 0) => `${median(xs).toFixed(d)} (${xs.map((x) => x.toFixed(d)).join(', ')})`
  for (const l of loaded) {
    const ms = results[l.dialect]!
    log(`${l.dialect}: loaded in ${l.loadSeconds.toFixed(1)} s, ${JSON.stringify(l.bytes)}; server start ${runsOf(ms.map((m) => m.startSeconds as number), 1)} s`)
    log(`  first request ms: deep thread ${runsOf(ms.map((m) => m.firstDeepThread as number), 1)}, board 1 ${runsOf(ms.map((m) => m.firstBoard1 as number), 1)}, board ${FAR} ${runsOf(ms.map((m) => m.firstBoardFar as number), 1)}, board ${PAGES} ${runsOf(ms.map((m) => m.firstBoardLast as number), 1)}`)
    log('| what | req/s | p50 ms | p99 ms | max ms | server CPU-µs/req | postgres CPU-µs/req | p99 < 25 ms |')
    log('|---|---:|---:|---:|---:|---:|---:|---|')
    for (const key of ['deepThread', 'board1', 'boardFar', 'coldThreads', 'coldMix'].filter((x) => ONLY.has(x))) {
      const xs = ms.map((m) => m[key] as Load)
      const p99 = median(xs.map((x) => x.p99))
      log(`| ${xs[0]!.label} | ${runsOf(xs.map((x) => x.rps))} | ${median(xs.map((x) => x.p50))} | ${runsOf(xs.map((x) => x.p99))} | ${median(xs.map((x) => x.max))} | ${fmt(median(xs.map((x) => x.cpuUsPerReq)))} | ${xs[0]!.extraCpuUsPerReq === undefined ? '–' : fmt(median(xs.map((x) => x.extraCpuUsPerReq!)))} | ${p99 < 25 ? 'yes' : 'NO'} |`)
    }
  }
  if (loaded.length === 2) {
    const [s, q] = [results.sqlite!, results.postgres!]
    for (const key of ['deepThread', 'board1', 'boardFar', 'coldThreads', 'coldMix'].filter((x) => ONLY.has(x))) {
      const xs = s.map((m, i) => (q[i]![key] as Load).rps / (m[key] as Load).rps)
      log(`postgres / sqlite req/s, ${key}: ${runsOf(xs, 2)}`)
    }
  }
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, threads: THREADS, posts: p.posts, duration: DURATION, warmup: WARMUP, loaded: loaded.map(({ drop: _, ...l }) => l), results }, null, 2))
  const bad = Object.values(results).flat().some((m) => Object.values(m).some((v) => typeof v === 'object' && v.bad > 0))
  process.exitCode = bad ? 1 : 0
}

await main()
