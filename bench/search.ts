// Search at scale (issue 13): N posts (default 1,000,000) on SQLite (FTS5) and PostgreSQL (GIN),
// searched through the real server over HTTP, one client at a time (c=1) and ten at once (c=10);
// p50/p99 per kind of query. Goal: p99 < 100 ms.
//
//   npx tsx bench/search.ts                                     both dialects, 1,000,000 posts
//   SEARCH_POSTS=100000 BENCH_DURATION=3 npx tsx bench/search.ts   quick check
//
// The schema, cell and board come from the composition root; the posts are bulk-inserted (as
// bench/million.ts does: no signing), in threads of 50. On SQLite the migration's triggers fill
// the FTS5 index row by row, as the product does; on PostgreSQL the GIN indexes are dropped for
// the load and built after it with the migration's own statements (a bulk load's usual way); the
// stored words (generated columns of 2026120602) are computed as the rows go in.
// Each body is one of the 200 fixture lines plus three words of the BIP-39 list (2,048 words),
// so a listed word is in about 0.15 % of posts, a fixture word in ~0.5–50 %.
// Environment: SEARCH_DIALECTS=sqlite,postgres SEARCH_POSTS=1000000 SEARCH_CONNECTIONS=1,10
// BENCH_DURATION=5 BENCH_WARMUP=1 SEARCH_KEEP=1 (keep the databases, to EXPLAIN queries)
// SEARCH_QUERIES=0 (only the crowd's rows) SEARCH_CROWD=0 (no crowd's rows)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { openSqlite } from '../src/db/connect.ts'
import { renderPostBody } from '../src/domain/markdown.ts'
import { createBoard, createCell } from '../src/services/cells.ts'
import { generateDisposableKey } from '../src/pgp.ts'
import { createIndexes as searchIndexes } from '../migrations/2026121201_search_by_board.ts'
import { fetchPage, fmt, generate, header, load, load1, log, makePgDatabase, meter, num, sleep, startNode, table, backendCpu, type Generated, type Load, type Target } from './harness.ts'
import { fixtureLines, withDeps } from './seed.ts'
import { seededRandom } from '../tests/support/random.ts'

const DIALECTS = (process.env.SEARCH_DIALECTS ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[]
const POSTS = num('SEARCH_POSTS', 1_000_000)
const PER_THREAD = 50
const THREADS = Math.ceil(POSTS / PER_THREAD)
const DURATION = num('BENCH_DURATION', 5)
const WARMUP = num('BENCH_WARMUP', 1)
const CONNECTIONS = (process.env.SEARCH_CONNECTIONS ?? '1,10').split(',').map(Number)
const CREATED = '2026-01-01T00:00:00.000Z'

const lines = fixtureLines()
const html = lines.map((l) => renderPostBody(l, '/c/lobby/general/t/1'))
const pick = (r: () => number) => wordlist[Math.floor(r() * wordlist.length)]!
/** Post g (0-based): its thread, number and body, the same for both dialects. */
function post(g: number, r: () => number) {
  const line = g % lines.length
  const extra = `${pick(r)} ${pick(r)} ${pick(r)}`
  return { id: g + 1, thread: Math.floor(g / PER_THREAD) + 1, number: (g % PER_THREAD) + 1, body: `${lines[line]} ${extra}`, html: `${html[line]}<p>${extra}</p>` }
}
/** A fixture word in about half the posts (the first of the common words below). */
const COMMON = lines[0]!.split(' ')[2]!
const title = (t: number) => `Thread ${t} about ${wordlist[(t * 7) % wordlist.length]} and ${wordlist[(t * 13) % wordlist.length]}`

type Place = { dialect: 'sqlite' | 'postgres'; dataDir: string; url: string | null; dbName?: string; drop?: () => Promise<void> }

async function fill(p: Place): Promise<number> {
  const t0 = performance.now()
  const env: Record<string, string> = p.url ? { DATABASE_URL: p.url } : {}
  const key = await generateDisposableKey(new Date())
  const boardId = await withDeps(p.dataDir, async (deps) => {
    await deps.db.insertInto('public_key').values({ id: 1, fingerprint: key.fingerprint, armored: key.armoredPublic, created_at: CREATED }).execute()
    // A small cell whose one post is older than every other and holds a common word: its search
    // finds that post only past every match of the word elsewhere (db/search-sqlite.ts).
    await createCell(deps, { slug: 'small', name: 'Small', principles: [] })
    await createBoard(deps, { cell: 'small', slug: 'quiet', name: 'Quiet', description: '', retentionDays: null })
    const quiet = (await deps.db.selectFrom('board').select('id').where('slug', '=', 'quiet').executeTakeFirstOrThrow()).id
    await deps.db.insertInto('thread').values({ id: THREADS + 1, board_id: quiet, number: 1, title: 'Old notes', created_at: CREATED, last_post_at: CREATED, post_count: 1, last_number: 1, last_post_id: 0 }).execute()
    await deps.db.insertInto('post').values({ id: 0, thread_id: THREADS + 1, number: 1, key_id: 1, signing: 'session-attested', body_source: `${COMMON} in the small cell`, body_html: `<p>${COMMON} in the small cell</p>`, signed_text: null, created_at: CREATED }).execute()
    if (p.url) for (const i of ['post_body_search', 'thread_title_search']) await sql`drop index ${sql.table(i)}`.execute(deps.db)
    return (await deps.db.selectFrom('board').select('id').where('slug', '=', 'general').executeTakeFirstOrThrow()).id
  }, env)
  const r = seededRandom(20261206)
  const threadRow = (t: number) => {
    const n = Math.min(PER_THREAD, POSTS - (t - 1) * PER_THREAD)
    return [t, boardId, t, title(t), CREATED, n, n, (t - 1) * PER_THREAD + n, CREATED] as const
  }
  const T_COLS = 'id, board_id, number, title, created_at, post_count, last_number, last_post_id, last_post_at'
  const P_COLS = 'id, thread_id, number, key_id, signing, body_source, body_html, signed_text, created_at'
  if (!p.url) {
    const db = openSqlite(join(p.dataDir, 'cellboard.db'))
    const it = db.prepare(`insert into thread (${T_COLS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const ip = db.prepare(`insert into post (${P_COLS}) values (?, ?, ?, 1, 'session-attested', ?, ?, null, ?)`)
    db.transaction(() => {
      for (let t = 1; t <= THREADS; t++) it.run(...threadRow(t))
      db.prepare('update board set last_thread_number = ? where id = ?').run(THREADS, boardId)
    })()
    const batch = db.transaction((from: number, to: number) => {
      for (let g = from; g < to; g++) {
        const x = post(g, r)
        ip.run(x.id, x.thread, x.number, x.body, x.html, CREATED)
      }
    })
    for (let g = 0; g < POSTS; g += 50_000) {
      batch(g, Math.min(POSTS, g + 50_000))
      if (g % 200_000 === 0) log(`  sqlite: ${fmt(g)} posts, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    }
    db.exec(`insert into post_body_search(post_body_search) values ('optimize')`) // as a long-lived index would be after merges
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()
  } else {
    const c = new pg.Client({ connectionString: p.url })
    await c.connect()
    await c.query('set synchronous_commit = off')
    const rows = (from: number, to: number, row: (i: number) => readonly unknown[]) => Array.from({ length: to - from }, (_, i) => row(from + i))
    const insert = (table: string, cols: string, types: string[], rs: (readonly unknown[])[]) =>
      c.query(`insert into ${table} (${cols}) select * from unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, rs[0]!.map((_, i) => rs.map((x) => x[i])))
    for (let t = 1; t <= THREADS; t += 5000) await insert('thread', T_COLS, ['int', 'int', 'int', 'text', 'text', 'int', 'int', 'int', 'text'], rows(t, Math.min(THREADS + 1, t + 5000), threadRow))
    await c.query('update board set last_thread_number = $1 where id = $2', [THREADS, boardId])
    for (let g = 0; g < POSTS; g += 10_000) {
      await insert('post', 'id, thread_id, number, key_id, signing, body_source, body_html, created_at', ['int', 'int', 'int', 'int', 'text', 'text', 'text', 'text'],
        rows(g, Math.min(POSTS, g + 10_000), (h) => { const x = post(h, r); return [x.id, x.thread, x.number, 1, 'session-attested', x.body, x.html, CREATED] }))
      if (g % 200_000 === 0) log(`  postgres: ${fmt(g)} posts, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    }
    for (const t of ['public_key', 'thread', 'post']) await c.query(`select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`)
    await c.end()
    // The migration's own index statements (it skips nothing else on PostgreSQL).
    await withDeps(p.dataDir, (deps) => searchIndexes(deps.db as never), env)
    const c2 = new pg.Client({ connectionString: p.url })
    await c2.connect()
    await c2.query('vacuum (analyze)')
    await c2.end()
  }
  return (performance.now() - t0) / 1000
}

/** The lobby's board, where all but the small cell's post are, made members-only. */
async function hideBusyBoard(p: Place): Promise<void> {
  const statement = `update board set read_tier = 'member' where slug = 'general'`
  if (!p.url) {
    const db = openSqlite(join(p.dataDir, 'cellboard.db'))
    db.prepare(statement).run()
    db.close()
    return
  }
  const c = new pg.Client({ connectionString: p.url })
  await c.connect()
  await c.query(statement)
  await c.end()
}

/** The reader (c=1, a cycle over thread pages the cache cannot all keep) alone, then beside ten searchers. */
async function crowd(url: string, pid: number): Promise<Crowd> {
  const ids = Array.from({ length: 3000 }, (_, i) => 1 + Math.floor((i * (THREADS - 1)) / 3000))
  let n = 0
  const reader: Target = { url: `${url}/c/lobby/general`, connections: 1, paths: () => `/c/lobby/general/t/${ids[n++ % ids.length]}` }
  const searchers: Target = { url: `${url}/c/small/search?q=${COMMON}`, connections: 10 }
  const statuses = new Map<number, number>()
  let measuring = false
  await generate([reader], WARMUP).done
  const alone = await generate([reader], DURATION).done
  const searching = generate([searchers], WARMUP + DURATION + 1, (_ms, status) => measuring && statuses.set(status, (statuses.get(status) ?? 0) + 1))
  await sleep(WARMUP * 1000)
  measuring = true
  const stop = await meter([pid])
  const beside = await generate([reader], DURATION).done
  const m = await stop()
  measuring = false
  searching.stop()
  await searching.done
  const per = (status: number) => (statuses.get(status) ?? 0) / m.seconds
  const c: Crowd = { alone, beside, served: per(200), busy: per(503), other: [...statuses].filter(([s]) => s !== 200 && s !== 503).reduce((k, [, v]) => k + v, 0), cpuShare: m.cpu / m.seconds, load1: load1() }
  log(`  a reader of thread pages (misses), c=1: alone p50 ${alone.p50} ms, p99 ${alone.p99} ms (${fmt(alone.rpsMean)}/s); beside 10 searchers p50 ${beside.p50} ms, p99 ${beside.p99} ms (${fmt(beside.rpsMean)}/s); searches served ${fmt(c.served)}/s, told busy ${fmt(c.busy)}/s${c.other ? `, ${c.other} other answers!` : ''}; server at ${fmt(100 * c.cpuShare)}% of a core; load ${c.load1}`)
  return c
}
type Crowd = { alone: Generated; beside: Generated; served: number; busy: number; other: number; cpuShare: number; load1: number }
const CROWD = process.env.SEARCH_CROWD !== '0'
const QUERY_ROWS = process.env.SEARCH_QUERIES !== '0'

const QUERIES: [string, string[]][] = [
  ['one listed word (~0.15 % of posts)', ['abandon', 'zebra', 'harbor', 'velvet', 'ocean', 'lunar', 'kitchen', 'fossil']],
  ['two listed words (all must match: rare)', ['abandon zebra', 'harbor velvet', 'ocean lunar', 'kitchen fossil']],
  ['a fixture word (common)', [lines[0]!.split(' ')[2]!, lines[50]!.split(' ')[4]!, lines[120]!.split(' ')[1]!]],
  ['a title word + page 5', ['thread&page=5', 'about&page=5']],
  ['no match', ['qqzzxxnomatch', 'zzqqyynone']],
  // /c/small/search (the paths below): one old post there, the word in ~half of the others.
  ['a small cell, a word common elsewhere', [`small:${COMMON}`]],
]

/** `small:WORD` searches the small cell, anything else every cell. */
const searchPath = (q: string) => (q.startsWith('small:') ? `/c/small/search?q=${q.slice(6)}` : `/search?q=${q.replaceAll(' ', '+')}`)

log(header(`bench/search.ts (${DIALECTS.join(' + ')}, ${fmt(POSTS)} posts, c=${CONNECTIONS.join(' and ')}, d=${DURATION} s)`))
const out: Record<string, { fill: number; loads: Load[]; crowded: Crowd | null }> = {}
for (const dialect of DIALECTS) {
  const pgdb = dialect === 'postgres' ? await makePgDatabase('cb_bench') : null
  const p: Place = { dialect, dataDir: mkdtempSync(join(tmpdir(), `cellboard-search-${dialect}-`)), url: pgdb?.url ?? null, dbName: pgdb?.name, drop: pgdb?.drop }
  try {
    const seconds = await fill(p)
    log(`${dialect}: filled ${fmt(POSTS)} posts in ${seconds.toFixed(0)} s`)
    const server = await startNode(pgdb ? pgdb.nodeEnv(join(p.dataDir, 'node')) : { DATA_DIR: p.dataDir })
    try {
      const first = await fetchPage(`${server.url}/search?q=abandon`)
      if (!first.text.includes('<mark>abandon</mark>')) throw new Error('the search page shows no marked result')
      const loads: Load[] = []
      for (const connections of QUERY_ROWS ? CONNECTIONS : []) {
        // The reference, measured in the same run: the board's first page (a page the server caches).
        loads.push(await load(`c=${connections}: reference, the board page`, [{ url: `${server.url}/c/lobby/general`, connections }], [server.pid], { duration: DURATION, warmup: WARMUP, extra: p.dbName ? [backendCpu(p.dbName)] : [] }))
        for (const [label, qs] of QUERIES) {
          let n = 0
          loads.push(await load(`c=${connections}: ${label}`, [{ url: `${server.url}/search`, connections, paths: () => searchPath(qs[n++ % qs.length]!) }], [server.pid], { duration: DURATION, warmup: WARMUP, extra: p.dbName ? [backendCpu(p.dbName)] : [] }))
        }
      }
      // A crowd of searchers against a reader of pages the cache has not kept (a cycle over 3,000
      // thread pages): the reader alone, then beside ten searchers asking the costliest search here
      // as fast as they are answered. Searches wait their turn (SEARCHES_AT_ONCE) or are told the
      // node is busy (503); a page missed by the cache waits behind one search on the reader at most.
      const crowded = CROWD ? await crowd(server.url, server.pid) : null
      // The same small cell, every other post now on a board hidden from the reader (members only):
      // SQLite passes over those matches uncounted (db/search-sqlite.ts), at most SEARCH_PASS_OVER.
      await hideBusyBoard(p)
      for (const connections of QUERY_ROWS ? CONNECTIONS : []) {
        loads.push(await load(`c=${connections}: a small cell, the word common on a board hidden from the reader`, [{ url: `${server.url}/c/small/search?q=${COMMON}`, connections }], [server.pid], { duration: DURATION, warmup: WARMUP, extra: p.dbName ? [backendCpu(p.dbName)] : [] }))
      }
      out[dialect] = { fill: seconds, loads, crowded }
    } finally {
      await server.stop()
    }
  } finally {
    if (process.env.SEARCH_KEEP) log(`kept: ${p.url ?? p.dataDir}`) // for EXPLAIN; drop it by hand
    else {
      await p.drop?.()
      rmSync(p.dataDir, { recursive: true, force: true })
    }
  }
}
for (const [dialect, r] of Object.entries(out)) {
  log(`\n${dialect}: ${fmt(POSTS)} posts, filled in ${r.fill.toFixed(0)} s`)
  const ref = (l: Load) => r.loads.find((x) => x.label.startsWith(l.label.split(':')[0]!) && x.label.includes('reference'))!
  table('query | req/s | p50 ms | p99 ms | max ms | p99 ÷ reference p99 | server CPU-µs/req | database CPU-µs/req | load | p99 < 100 ms', r.loads.map((l) =>
    `${l.label} | ${fmt(l.rpsMean)} | ${l.p50} | ${l.p99} | ${l.max} | ${(l.p99 / Math.max(1, ref(l).p99)).toFixed(1)} | ${fmt(l.cpuUsPerReq)} | ${l.extraUsPerReq.length ? fmt(l.extraUsPerReq[0]!) : '(in-process)'} | ${l.load1} | ${l.p99 < 100 ? 'yes' : 'NO'}`))
}
const crowded = Object.entries(out).filter(([, r]) => r.crowded)
if (crowded.length) {
  log('\nA reader of thread pages the cache has not kept (c=1), alone and beside ten searchers of `/c/small/search` (the common word)')
  table('dialect | alone p50 / p99 ms | beside the searchers p50 / p99 ms | p99 ÷ alone | pages/s alone, beside | searches served/s | told busy (503)/s | server, % of a core | load', crowded.map(([d, { crowded: c }]) =>
    `${d} | ${c!.alone.p50} / ${c!.alone.p99} | ${c!.beside.p50} / ${c!.beside.p99} | ${(c!.beside.p99 / Math.max(1, c!.alone.p99)).toFixed(1)} | ${fmt(c!.alone.rpsMean)}, ${fmt(c!.beside.rpsMean)} | ${fmt(c!.served)} | ${fmt(c!.busy)} | ${fmt(100 * c!.cpuShare)} | ${c!.load1}`))
}
process.exitCode = Object.values(out).some((r) => r.loads.some((l) => l.bad > 0) || (r.crowded && (r.crowded.other > 0 || r.crowded.alone.bad + r.crowded.beside.bad > 0))) ? 1 : 0
log(header('end'))
