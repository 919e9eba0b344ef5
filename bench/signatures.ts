// npx tsx bench/signatures.ts — what checking a poster's own signature costs the server
// (BENCHMARKS.md, "Signatures", says what each part does).
//
//   BENCH_ITER=200 BENCH_WARM=20 BENCH_RUNS=1 BENCH_SERVICE=100 BENCH_DURATION=2 BENCH_WARMUP=1 BENCH_PRESIGN=150 npx tsx bench/signatures.ts   quick check
//
// micro: verifyClearsigned/verifyDetached (src/pgp.ts) in this process, the key armored (as the
// server passes it) and parsed once. service: replyToThread on the tests' board, gpg-signed against
// disposable, call by call. http: the real server, GnuPG posters pasting pre-signed replies against
// disposable posters, after an unmeasured warm-up of both; every acknowledged post must be stored.
// Environment: BENCH_ITER=2000 BENCH_WARM=200 BENCH_RUNS=3 BENCH_DURATION=10 BENCH_CLIENTS=10
// BENCH_PRESIGN=700 BENCH_WARMUP=3 BENCH_SERVICE=1000 BENCH_ONLY=micro,service,http
import * as openpgp from 'openpgp'
import { canonicalPostText } from '../src/domain/posts.ts'
import { clearsign, generateDisposableKey, readPublicKey, verifyClearsigned, verifyDetached } from '../src/pgp.ts'
import { replyToThread } from '../src/services/posts.ts'
import { makeBoard } from '../tests/support/app.ts'
import { checkNumbers, disposable, fmt, header, inTempDir, loadText, log, loggedIn, median, num, only, pct, query, runsOf, signer, signers, startNode, submitLoop, table, timeCalls, type Proc, type Signer, type Visitor } from './harness.ts'
import { fixtureLines, posters, withDeps, writeThread } from './seed.ts'

const ITER = num('BENCH_ITER', 2000)
const WARM = num('BENCH_WARM', 200)
const RUNS = Math.max(1, num('BENCH_RUNS', 3))
const DURATION = num('BENCH_DURATION', 10)
const CLIENTS = num('BENCH_CLIENTS', 10)
const PRESIGN = num('BENCH_PRESIGN', 700)
const WARMUP = num('BENCH_WARMUP', 3)
const ONLY = only('BENCH_ONLY', 'micro,service,http')
const lines = fixtureLines()
const place = { site: 'cellboard.local', cell: 'lobby', board: 'general' }
const postText = (thread: number, body: string) => canonicalPostText({ ...place, thread, title: null, body })
async function micro() {
  const key = await generateDisposableKey(new Date())
  const parsed = await readPublicKey(key.armoredPublic)
  const text = postText(1, lines[6]!)
  const signed = await clearsign(text, key.armoredPrivate, new Date())
  // As static/browser-key.js signs: a detached signature over the canonical text.
  const detached = await openpgp.sign({ message: await openpgp.createMessage({ text }), signingKeys: await openpgp.readPrivateKey({ armoredKey: key.armoredPrivate }), detached: true, format: 'armored' })
  log(`post: ${Buffer.byteLength(text)} B canonical text, clearsigned ${Buffer.byteLength(signed)} B, detached signature ${Buffer.byteLength(detached)} B`)
  const variants: [string, () => Promise<unknown>][] = [
    ['verifyClearsigned, key armored (as the server calls it)', () => verifyClearsigned(signed, key.armoredPublic)],
    ['verifyClearsigned, key parsed once', () => verifyClearsigned(signed, parsed)],
    ['verifyDetached, key armored (as the server calls it)', () => verifyDetached(text, detached, key.armoredPublic)],
    ['verifyDetached, key parsed once', () => verifyDetached(text, detached, parsed)],
    ['openpgp.readKey of the armored public key alone', () => openpgp.readKey({ armoredKey: key.armoredPublic })],
    ['clearsign (disposable path, key cached), for comparison', () => clearsign(text, key.armoredPrivate, new Date())],
  ]
  const rounds: Awaited<ReturnType<typeof timeCalls>>[][] = []
  for (let run = 1; run <= RUNS; run++) {
    const round = []
    for (const [, f] of variants) round.push(await timeCalls(ITER, WARM, f))
    rounds.push(round)
    log(`  round ${run}/${RUNS} done, ${loadText()}`)
  }
  log(`\n${ITER} calls per round after ${WARM} warm-up, ${RUNS} rounds; median µs (per-round medians), p99 µs, per second = 1e6 / median µs`)
  table('what | median µs (rounds) | p99 µs | per second (one core) | process CPU-µs per call | process CPU ÷ wall', variants.map(([name], i) => {
    const of = (f: (r: (typeof rounds)[0][0]) => number) => rounds.map((round) => f(round[i]!))
    return `${name} | ${runsOf(of((r) => r.median))} | ${fmt(median(of((r) => r.p99)))} | ${fmt(1e6 / median(of((r) => r.median)))} | ${fmt(median(of((r) => r.cpuUs)))} | ${median(of((r) => r.cpuShare)).toFixed(2)}`
  }))
}

/** replyToThread in this process, gpg-signed (the pasted text verified) against disposable (the server signs): includes the write and its fsync. */
async function service() {
  const calls = num('BENCH_SERVICE', 1000)
  const board = await makeBoard()
  const deps = board.deps
  try {
    const key = await signer()
    const gpg = { session: await deps.sessions.create({ kind: 'gpg', fingerprint: key.fingerprint, armoredPublic: (await readPublicKey(key.publicKey)).armored, armoredPrivate: null }), expired: false }
    const [them] = await posters(deps, 1)
    const thread = (await writeThread(deps, [them!], 'general', 'Service', [lines[0]!])).thread
    const body = (k: number) => `${lines[k % 200]} (post ${k})`
    const texts: string[] = []
    for (let k = 0; k < calls + 100; k++) texts.push(await key.sign(postText(thread, body(k))))
    const times = { gpg: [] as number[], disposable: [] as number[] }
    const cpu = { gpg: 0, disposable: 0 }
    for (let k = 0; k < calls + 100; k++) {
      for (const kind of ['gpg', 'disposable'] as const) {
        const c0 = process.cpuUsage()
        const t = performance.now()
        await replyToThread(deps, kind === 'gpg' ? gpg : them!, { cell: 'lobby', board: 'general', thread, ...(kind === 'gpg' ? { body: '', signed: texts[k]! } : { body: body(k) }) })
        const c = process.cpuUsage(c0)
        if (k < 100) continue // warm-up
        times[kind].push(performance.now() - t)
        cpu[kind] += c.user + c.system
      }
    }
    log(`\nreplyToThread in process (${calls} calls each after 100 warm-up, alternating call by call; ${loadText()})`)
    table('path | median µs | p99 µs | process CPU-µs per call', (['gpg', 'disposable'] as const).map((kind) => `${kind} | ${fmt(median(times[kind]) * 1000)} | ${fmt(pct(times[kind], 0.99) * 1000)} | ${fmt(cpu[kind] / calls)}`))
    log(`gpg − disposable: ${fmt((median(times.gpg) - median(times.disposable)) * 1000)} µs median, ${fmt((cpu.gpg - cpu.disposable) / calls)} CPU-µs per call`)
  } finally {
    await board.close()
  }
}

type Phase = Awaited<ReturnType<typeof phase>>

async function phase(kind: 'gpg' | 'disposable', server: Proc, thread: number, clients: Visitor[], texts: string[][], seconds = DURATION) {
  const ranOut = new Set<number>()
  const sent = await submitLoop(clients, seconds, (i, k) => {
    if (kind === 'gpg' && k >= texts[i]!.length) return ranOut.add(i), null
    const fields: Record<string, string> = kind === 'gpg' ? { body: '', signed: texts[i]![k]! } : { body: `${lines[(i * 20 + k) % 200]} (poster ${i + 1}, post ${k + 1})` }
    return { path: `/c/lobby/general/t/${thread}`, fields }
  }, /#p(\d+)$/, [server.pid])
  return { kind, thread, ...sent, ranOut: ranOut.size }
}

async function check(dir: string, ph: Phase, keys: Map<string, Signer>) {
  const rows = await query<{ number: number; signing: string; signed_text: string; fingerprint: string }>({ dataDir: dir }, 'select p.number, p.signing, p.signed_text, k.fingerprint from post p join public_key k on k.id = p.key_id join thread t on t.id = p.thread_id where t.number = ? order by p.number', ph.thread)
  let sample = '-'
  if (ph.kind === 'gpg') {
    const replies = rows.slice(1) // post 1 opened the thread before the run
    const picked = replies.filter((_, i) => i % Math.max(1, Math.floor(replies.length / 20)) === 0).slice(0, 20)
    let ok = 0
    for (const r of picked) if (await verifyClearsigned(r.signed_text, keys.get(r.fingerprint)!.publicKey).then(() => true, () => false)) ok++
    const unsigned = replies.filter((r) => r.signing !== 'gpg-signed').length
    sample = `${ok}/${picked.length} verify${unsigned ? `, ${unsigned} not gpg-signed!` : ''}`
  }
  return { ...checkNumbers(rows.map((r) => r.number), ph.acked, 1), sample }
}

async function http() {
  const keys = await signers(CLIENTS)
  const byFingerprint = new Map(keys.map((k) => [k.fingerprint, k]))
  // Every run's fresh database has the gpg thread as thread 1 and the warm-up thread as 3, so the texts are signed once.
  const t0 = performance.now()
  const signFor = async (thread: number, n: number) => Promise.all(keys.map(async (key, i) => {
    const mine: string[] = []
    for (let k = 0; k < n; k++) mine.push(await key.sign(postText(thread, `${lines[(i * 20 + k) % 200]} (poster ${i + 1}, post ${k + 1})`)))
    return mine
  }))
  const texts = await signFor(1, PRESIGN)
  const warmTexts = await signFor(3, Math.ceil(WARMUP * 60))
  log(`pre-signed ${CLIENTS} × ${PRESIGN} posts (and ${warmTexts[0]!.length} each for the warm-up) in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`)

  const rows: { gpg: Phase; disposable: Phase; checks: Record<string, Awaited<ReturnType<typeof check>>>; load: string }[] = []
  for (let run = 1; run <= RUNS; run++) {
    await inTempDir('bench-sig', async (dir) => {
      const threads = await withDeps(dir, async (deps) => {
        const out: number[] = []
        for (const title of ['Signed posts', 'Disposable posts', 'Warm-up']) out.push((await writeThread(deps, await posters(deps, 1), 'general', title, [lines[0]!])).thread)
        return out
      })
      if (threads[0] !== 1 || threads[2] !== 3) throw new Error('the signed texts name threads 1 and 3')
      const server = await startNode({ DATA_DIR: dir })
      const gpgPosters: Visitor[] = []
      for (const k of keys) gpgPosters.push(await loggedIn(server.url, k))
      const disposables: Visitor[] = []
      for (let i = 0; i < CLIENTS; i++) disposables.push(await disposable(server.url))
      // Unmeasured: both paths once, on the third thread, so neither measured phase pays for warming up.
      if (WARMUP > 0) for (const kind of ['gpg', 'disposable'] as const) await phase(kind, server, threads[2]!, kind === 'gpg' ? gpgPosters : disposables, warmTexts, WARMUP)
      const loadAtStart = loadText()
      const got = {} as Record<'gpg' | 'disposable', Phase>
      for (const kind of run % 2 ? (['gpg', 'disposable'] as const) : (['disposable', 'gpg'] as const)) got[kind] = await phase(kind, server, kind === 'gpg' ? threads[0]! : threads[1]!, kind === 'gpg' ? gpgPosters : disposables, texts)
      await server.stop()
      if (/internal error/.test(server.output())) log(`WARNING: server output:\n${server.output()}`)
      const checks = { gpg: await check(dir, got.gpg, byFingerprint), disposable: await check(dir, got.disposable, byFingerprint) }
      rows.push({ ...got, checks, load: `${loadAtStart} → ${loadText()}` })
      for (const kind of ['gpg', 'disposable'] as const) {
        const [ph, c] = [got[kind], checks[kind]]
        log(`  run ${run} ${kind.padEnd(10)} ${fmt(ph.pps)} posts/s, p50 ${fmt(ph.p50, 1)} ms, p99 ${fmt(ph.p99, 1)} ms, server ${fmt(ph.cpuUs)} CPU-µs/post at ${fmt(100 * ph.cpuShare)}% of a core, waited ${fmt(100 * ph.waitShare)}%; ` +
          `acknowledged ${ph.acked.length}, stored ${c.stored}, lost ${c.lost}, stored unacknowledged ${c.unacknowledged}, duplicates ${c.duplicates}, numbers 1..n ${c.contiguous}, sample ${c.sample}, failures ${JSON.stringify(ph.failures)}${ph.ranOut ? `, ${ph.ranOut} posters RAN OUT of texts` : ''}`)
      }
      log(`  run ${run}: ${rows.at(-1)!.load}`)
    })
  }
  log(`\nMedians over ${RUNS} runs (${CLIENTS} clients, ${DURATION} s per phase):`)
  table(' | posts/s (runs) | p50 ms | p99 ms | server CPU-µs/post | server cpu% | acknowledged = stored, lost', (['gpg', 'disposable'] as const).map((kind) => {
    const mid = (f: (p: Phase) => number, d = 0) => fmt(median(rows.map((r) => f(r[kind]))), d)
    return `${kind} | ${runsOf(rows.map((r) => r[kind].pps))} | ${mid((p) => p.p50, 1)} | ${mid((p) => p.p99, 1)} | ${mid((p) => p.cpuUs)} | ${mid((p) => 100 * p.cpuShare)} | ${rows.map((r) => `${r[kind].acked.length} = ${r.checks[kind].stored}, ${r.checks[kind].lost}`).join('; ')}`
  }))
  log(`gpg ÷ disposable, same run: posts/s ${runsOf(rows.map((r) => r.gpg.pps / r.disposable.pps), 2)}; server CPU per post ${runsOf(rows.map((r) => r.gpg.cpuUs / r.disposable.cpuUs), 2)}`)
  if (rows.some((r) => Object.values(r.checks).some((c) => c.lost || c.unacknowledged || c.duplicates || !c.contiguous || c.sample.includes('!')))) process.exitCode = 1
}

log(header('bench/signatures.ts'))
if (ONLY.has('micro')) await micro()
if (ONLY.has('service')) await service()
if (ONLY.has('http')) await http()
log(header('end'))
