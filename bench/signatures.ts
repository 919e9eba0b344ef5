// npx tsx bench/signatures.ts — what checking a poster's own signature costs the server.
//
// Part 1, in this process (one core): verifyClearsigned and verifyDetached (src/pgp.ts) on a
// realistic post — canonicalPostText (src/domain/posts.ts) of a fixture line, signed with an `ecc`
// key from generateDisposableKey — BENCH_ITER times each after BENCH_WARM warm-up calls, BENCH_RUNS
// rounds with the variants interleaved. Each is measured twice: with the key as the armored
// string (as the server passes session.armoredPublic, so the key is parsed on every call) and
// with a key parsed once (readPublicKey), to separate parsing from verifying.
//
// Part 1b, in this process: the whole reply use case (replyToThread) on a temp database,
// gpg-signed against disposable, interleaved — what verification adds to a post without HTTP.
//
// Part 2, over HTTP: per run a fresh DATA_DIR (SQLite) with three threads, the real server
// (src/main.ts), an unmeasured warm-up of both paths on the third thread (without it the first
// phase after start was the slower one, whichever it was), then two phases of BENCH_DURATION s
// each, 10 clients with one request in flight each (order alternates between runs):
//   gpg        10 posters logged in by the GnuPG path (their own openpgp ecc keys) POST replies
//              whose `signed` field holds a pre-signed clearsigned canonical post text;
//   disposable 10 disposable identities POST plain replies (the server signs), as bench/pages.ts.
// Acknowledged = 303 with Location ending #pN. After a clean stop the database is opened
// read-only: every acknowledged number must be stored, stored = acknowledged, numbers contiguous,
// and a sample of the stored gpg-signed texts must verify with the poster's key.
//
// Environment: BENCH_ITER=2000 BENCH_WARM=200 BENCH_RUNS=3 BENCH_DURATION=10 BENCH_CLIENTS=10
//   BENCH_PRESIGN=700 (texts per poster, signed before the runs; a poster that runs out stops)
//   BENCH_WARMUP=3 (s of unmeasured posting on a third thread, each path, before the phases)
//   BENCH_SERVICE=1000 (part 1b calls per path)   BENCH_ONLY=micro,service,http (any of them)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import * as openpgp from 'openpgp'
import { canonicalPostText } from '../src/domain/posts.ts'
import { clearsign, generateDisposableKey, readPublicKey, verifyClearsigned, verifyDetached } from '../src/pgp.ts'
import { takeDisposableIdentity } from '../src/services/identities.ts'
import { replyToThread, startThread } from '../src/services/posts.ts'
import { fixtureLines } from './seed.ts'
import {
  clearsignWith, closedLoop, cookieHeader, cookiesFrom, cpuSeconds, fmt, FORM, formBody, header, heldKey, log, loadText, logInGpg, median, newAgent, num, openDeps, pct, send, startServer, tokenAfterLogin, tokenIn, waitSeconds,
  type Client, type HeldKey,
} from './lib.ts'

const ITER = num('BENCH_ITER', 2000)
const WARM = num('BENCH_WARM', 200)
const RUNS = Math.max(1, num('BENCH_RUNS', 3))
const DURATION = num('BENCH_DURATION', 10)
const CLIENTS = num('BENCH_CLIENTS', 10)
const PRESIGN = num('BENCH_PRESIGN', 700)
const WARMUP = num('BENCH_WARMUP', 3)
const ONLY = process.env.BENCH_ONLY ?? 'micro,service,http'
const lines = fixtureLines()
const place = { site: 'cellboard.local', cell: 'lobby', board: 'general' }

// ---------- part 1: one process, one core ----------

async function micro() {
  const key = await generateDisposableKey(new Date())
  const parsed = await readPublicKey(key.armoredPublic)
  const text = canonicalPostText({ ...place, thread: 1, title: null, body: lines[6]! })
  const signed = await clearsign(text, key.armoredPrivate, new Date())
  const priv = await openpgp.readPrivateKey({ armoredKey: key.armoredPrivate })
  // As static/browser-key.js signs: a detached signature over the canonical text.
  const detached = await openpgp.sign({ message: await openpgp.createMessage({ text }), signingKeys: priv, detached: true, format: 'armored' })
  log(`post: ${Buffer.byteLength(text)} B canonical text, clearsigned ${Buffer.byteLength(signed)} B, detached signature ${Buffer.byteLength(detached)} B`)

  const variants: [string, () => Promise<unknown>][] = [
    ['verifyClearsigned, key armored (as the server calls it)', () => verifyClearsigned(signed, key.armoredPublic)],
    ['verifyClearsigned, key parsed once', () => verifyClearsigned(signed, parsed)],
    ['verifyDetached, key armored (as the server calls it)', () => verifyDetached(text, detached, key.armoredPublic)],
    ['verifyDetached, key parsed once', () => verifyDetached(text, detached, parsed)],
    ['openpgp.readKey of the armored public key alone', () => openpgp.readKey({ armoredKey: key.armoredPublic })],
    ['clearsign (disposable path, key cached), for comparison', () => clearsign(text, key.armoredPrivate, new Date())],
  ]
  const results = new Map<string, { medians: number[]; p99s: number[]; cpuShare: number[]; cpuUs: number[] }>(variants.map(([n]) => [n, { medians: [], p99s: [], cpuShare: [], cpuUs: [] }]))
  for (let run = 1; run <= RUNS; run++) {
    for (const [name, f] of variants) {
      for (let i = 0; i < WARM; i++) await f()
      const times: number[] = []
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      for (let i = 0; i < ITER; i++) {
        const s = performance.now()
        await f()
        times.push(performance.now() - s)
      }
      const wall = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const r = results.get(name)!
      r.medians.push(median(times) * 1000)
      r.p99s.push(pct(times, 0.99) * 1000)
      r.cpuShare.push((cpu.user + cpu.system) / 1000 / wall)
      r.cpuUs.push((cpu.user + cpu.system) / ITER)
    }
    log(`  round ${run}/${RUNS} done, ${loadText()}`)
  }
  log(`\n${ITER} calls per round after ${WARM} warm-up, ${RUNS} rounds; median µs (per-round medians), p99 µs, per second = 1e6 / median µs`)
  log('| what | median µs | per round | p99 µs | per second (one core) | process CPU-µs per call | process CPU ÷ wall |')
  log('|---|---:|---|---:|---:|---:|---:|')
  for (const [name, r] of results) {
    const m = median(r.medians)
    log(`| ${name} | ${fmt(m)} | ${r.medians.map((x) => fmt(x)).join(', ')} | ${fmt(median(r.p99s))} | ${fmt(1e6 / m)} | ${fmt(median(r.cpuUs))} | ${median(r.cpuShare).toFixed(2)} |`)
  }
}

// ---------- part 1b: the whole reply use case, in this process ----------

// replyToThread (src/services/posts.ts) on a temp SQLite database, gpg-signed (a session of kind
// gpg, the pasted text verified) against disposable (the server signs), alternating call by
// call, BENCH_SERVICE calls each after 100 warm-up calls. Includes the write transaction (synchronous=FULL: an fsync).
async function service() {
  const calls = num('BENCH_SERVICE', 1000)
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-sigsvc-'))
  const { deps, close } = await openDeps(dir)
  try {
    const held = await heldKey('poster')
    const gpg = { session: await deps.sessions.create({ kind: 'gpg', fingerprint: held.fingerprint, armoredPublic: (await readPublicKey(held.publicKey)).armored, armoredPrivate: null }), expired: false }
    const disposable = { session: await takeDisposableIdentity(deps), expired: false }
    const thread = (await startThread(deps, disposable, { cell: 'lobby', board: 'general', title: 'Service', body: lines[0]! })).thread
    const texts: string[] = []
    for (let k = 0; k < calls + 100; k++) texts.push(await clearsignWith(held, canonicalPostText({ ...place, thread, title: null, body: `${lines[k % lines.length]} (post ${k})` })))
    const times = { gpg: [] as number[], disposable: [] as number[] }
    const cpu = { gpg: 0, disposable: 0 }
    for (let k = 0; k < calls + 100; k++) {
      for (const kind of ['gpg', 'disposable'] as const) {
        const input = kind === 'gpg' ? { cell: 'lobby', board: 'general', thread, body: '', signed: texts[k]! } : { cell: 'lobby', board: 'general', thread, body: `${lines[k % lines.length]} (post ${k})` }
        const c0 = process.cpuUsage()
        const t = performance.now()
        await replyToThread(deps, kind === 'gpg' ? gpg : disposable, input)
        const c = process.cpuUsage(c0)
        if (k < 100) continue // warm-up
        times[kind].push(performance.now() - t)
        cpu[kind] += c.user + c.system
      }
    }
    log(`\nreplyToThread in process (${times.gpg.length} calls each after 100 warm-up, alternating call by call; ${loadText()})`)
    log('| path | median µs | p99 µs | process CPU-µs per call |')
    log('|---|---:|---:|---:|')
    for (const kind of ['gpg', 'disposable'] as const) log(`| ${kind} | ${fmt(median(times[kind]) * 1000)} | ${fmt(pct(times[kind], 0.99) * 1000)} | ${fmt(cpu[kind] / times[kind].length)} |`)
    log(`gpg − disposable: ${fmt((median(times.gpg) - median(times.disposable)) * 1000)} µs median, ${fmt((cpu.gpg - cpu.disposable) / times.gpg.length)} CPU-µs per call`)
  } finally {
    await close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------- part 2: posting over HTTP ----------

type Phase = { kind: 'gpg' | 'disposable'; thread: number; acked: number[]; latencies: number[]; failures: Record<string, number>; seconds: number; cpuUs: number; cpuShare: number; waitShare: number; ranOut: number }

async function takeDisposable(agent: ReturnType<typeof newAgent>, base: string) {
  const jar = new Map<string, string>()
  const page = await send(agent, `${base}/identity`, 'GET', {})
  cookiesFrom(page, jar)
  const csrf = tokenIn(page.body)!
  const r = await send(agent, `${base}/identity/disposable`, 'POST', { ...FORM, cookie: cookieHeader(jar) }, formBody({ _csrf: csrf }))
  cookiesFrom(r, jar)
  if (r.status !== 303 || !jar.has('cb_session')) throw new Error(`disposable identity: ${r.status}`)
  return { cookie: cookieHeader(jar), csrf: await tokenAfterLogin(agent, base, jar) }
}

async function phase(kind: Phase['kind'], base: string, pid: number, thread: number, posters: { cookie: string; csrf: string }[], texts: string[][], seconds = DURATION): Promise<Phase> {
  const agent = newAgent(CLIENTS)
  const url = `${base}/c/lobby/general/t/${thread}`
  const p: Phase = { kind, thread, acked: [], latencies: [], failures: {}, seconds: 0, cpuUs: 0, cpuShare: 0, waitShare: 0, ranOut: 0 }
  const cpu0 = cpuSeconds(pid)
  const wait0 = waitSeconds(pid)
  const ranOut = new Set<number>()
  p.seconds = await closedLoop(posters, seconds, async (c, i, k) => {
    if (kind === 'gpg' && k >= texts[i]!.length) {
      if (!ranOut.has(i)) ranOut.add(i)
      return new Promise((r) => setTimeout(r, 50))
    }
    const fields: Record<string, string> = kind === 'gpg' ? { _csrf: c.csrf, body: '', signed: texts[i]![k]! } : { _csrf: c.csrf, body: `${lines[(i * 20 + k) % lines.length]} (poster ${i + 1}, post ${k + 1})` }
    const start = performance.now()
    try {
      const r = await send(agent, url, 'POST', { ...FORM, cookie: c.cookie }, formBody(fields))
      const n = /#p(\d+)$/.exec(String(r.headers.location ?? ''))
      if (r.status === 303 && n) p.latencies.push(performance.now() - start), p.acked.push(Number(n[1]))
      else p.failures[`HTTP ${r.status}`] = (p.failures[`HTTP ${r.status}`] ?? 0) + 1
    } catch (e) {
      p.failures[(e as Error).message] = (p.failures[(e as Error).message] ?? 0) + 1
    }
  })
  const cpu = cpuSeconds(pid) - cpu0
  p.cpuUs = (cpu * 1e6) / Math.max(1, p.acked.length)
  p.cpuShare = cpu / p.seconds
  p.waitShare = (waitSeconds(pid) - wait0) / p.seconds
  p.ranOut = ranOut.size
  agent.destroy()
  return p
}

type Check = { stored: number; lost: number; extra: number; dupes: number; contiguous: boolean; sampleVerified: string }

async function check(dbFile: string, ph: Phase, keys: Map<string, HeldKey>): Promise<Check> {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('select p.number, p.signing, p.signed_text, k.fingerprint from post p join public_key k on k.id = p.key_id join thread t on t.id = p.thread_id where t.number = ? order by p.number').all(ph.thread) as { number: number; signing: string; signed_text: string; fingerprint: string }[]
    const replies = rows.filter((r) => r.number > 1) // post 1 opened the thread before the run
    const present = new Set(rows.map((r) => r.number))
    const acked = new Set(ph.acked)
    let sampleVerified = '-'
    if (ph.kind === 'gpg') {
      const bad = replies.filter((r) => r.signing !== 'gpg-signed').length
      const sample = replies.filter((_, i) => i % Math.max(1, Math.floor(replies.length / 20)) === 0).slice(0, 20)
      let ok = 0
      for (const r of sample) if (await verifyClearsigned(r.signed_text, keys.get(r.fingerprint)!.publicKey).then(() => true, () => false)) ok++
      sampleVerified = `${ok}/${sample.length} verify${bad ? `, ${bad} not gpg-signed!` : ''}`
    }
    return { stored: replies.length, lost: [...acked].filter((n) => !present.has(n)).length, extra: replies.length - acked.size, dupes: ph.acked.length - acked.size, contiguous: rows.every((r, i) => r.number === i + 1), sampleVerified }
  } finally {
    db.close()
  }
}

async function http() {
  const keys: HeldKey[] = []
  for (let i = 0; i < CLIENTS; i++) keys.push(await heldKey(`poster ${i + 1}`))
  const byFingerprint = new Map(keys.map((k) => [k.fingerprint, k]))
  // Every run's fresh database has the gpg thread as thread 1, so the texts are signed once.
  const t0 = performance.now()
  const signFor = async (thread: number, n: number) => {
    const texts: string[][] = []
    for (const [i, key] of keys.entries()) {
      const mine: string[] = []
      for (let k = 0; k < n; k++) mine.push(await clearsignWith(key, canonicalPostText({ ...place, thread, title: null, body: `${lines[(i * 20 + k) % lines.length]} (poster ${i + 1}, post ${k + 1})` })))
      texts.push(mine)
    }
    return texts
  }
  const texts = await signFor(1, PRESIGN)
  const warmTexts = await signFor(3, Math.ceil(WARMUP * 60))
  log(`pre-signed ${CLIENTS} × ${PRESIGN} posts (and ${warmTexts[0]!.length} each for the warm-up) in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`)

  const rows: { gpg: Phase; disposable: Phase; checks: Record<string, Check>; load: string }[] = []
  for (let run = 1; run <= RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-sig-'))
    try {
      const { deps, close } = await openDeps(dir)
      const threads: number[] = []
      for (const title of ['Signed posts', 'Disposable posts', 'Warm-up']) {
        const who = { session: await takeDisposableIdentity(deps), expired: false }
        threads.push((await startThread(deps, who, { cell: 'lobby', board: 'general', title, body: lines[0]! })).thread)
      }
      await close()
      if (threads[0] !== 1) throw new Error('the signed texts name thread 1')
      const server = await startServer(dir)
      const base = server.url
      const agent = newAgent(1)
      const posters: Client[] = []
      for (const k of keys) posters.push(await logInGpg(agent, base, k))
      const disposables = []
      for (let i = 0; i < CLIENTS; i++) disposables.push(await takeDisposable(agent, base))
      agent.destroy()
      // Unmeasured: both paths once, on a third thread, so neither measured phase pays for JIT warm-up.
      if (WARMUP > 0) for (const kind of ['gpg', 'disposable'] as const) await phase(kind, base, server.pid, threads[2]!, kind === 'gpg' ? posters : disposables, warmTexts, WARMUP)
      const loadAtStart = loadText()
      const order: Phase['kind'][] = run % 2 ? ['gpg', 'disposable'] : ['disposable', 'gpg']
      const got: Partial<Record<Phase['kind'], Phase>> = {}
      for (const kind of order) got[kind] = await phase(kind, base, server.pid, kind === 'gpg' ? threads[0]! : threads[1]!, kind === 'gpg' ? posters : disposables, texts)
      await server.stop()
      if (/internal error/.test(server.output())) log(`WARNING: server output:\n${server.output()}`)
      const checks = { gpg: await check(join(dir, 'cellboard.db'), got.gpg!, byFingerprint), disposable: await check(join(dir, 'cellboard.db'), got.disposable!, byFingerprint) }
      rows.push({ gpg: got.gpg!, disposable: got.disposable!, checks, load: `${loadAtStart} → ${loadText()}` })
      for (const kind of order) {
        const ph = got[kind]!
        const c = checks[kind]
        log(`  run ${run} ${kind.padEnd(10)} ${fmt(ph.acked.length / ph.seconds)} posts/s, p50 ${pct(ph.latencies, 0.5).toFixed(1)} ms, p99 ${pct(ph.latencies, 0.99).toFixed(1)} ms, server ${fmt(ph.cpuUs)} CPU-µs/post at ${fmt(100 * ph.cpuShare)}% of a core, waited ${fmt(100 * ph.waitShare)}%; ` +
          `acknowledged ${ph.acked.length}, stored ${c.stored}, lost ${c.lost}, stored unacknowledged ${c.extra}, duplicate numbers ${c.dupes}, contiguous ${c.contiguous}, sample ${c.sampleVerified}, failures ${JSON.stringify(ph.failures)}${ph.ranOut ? `, ${ph.ranOut} posters RAN OUT of texts` : ''}`)
      }
      log(`  run ${run}: ${rows.at(-1)!.load}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  log(`\nMedians over ${RUNS} runs (${CLIENTS} clients, ${DURATION} s per phase):`)
  log('| | posts/s | per run | p50 ms | p99 ms | server CPU-µs/post | server cpu% | acknowledged = stored, lost |')
  log('|---|---:|---|---:|---:|---:|---:|---|')
  for (const kind of ['gpg', 'disposable'] as const) {
    const ps = rows.map((r) => r[kind])
    log(`| ${kind} | ${fmt(median(ps.map((p) => p.acked.length / p.seconds)))} | ${ps.map((p) => fmt(p.acked.length / p.seconds)).join(', ')} | ${median(ps.map((p) => pct(p.latencies, 0.5))).toFixed(1)} | ${median(ps.map((p) => pct(p.latencies, 0.99))).toFixed(1)} | ${fmt(median(ps.map((p) => p.cpuUs)))} | ${fmt(100 * median(ps.map((p) => p.cpuShare)))} | ${rows.map((r) => `${r[kind].acked.length} = ${r.checks[kind].stored}, ${r.checks[kind].lost}`).join('; ')} |`)
  }
  const ratio = rows.map((r) => r.gpg.acked.length / r.gpg.seconds / (r.disposable.acked.length / r.disposable.seconds))
  const cpuRatio = rows.map((r) => r.gpg.cpuUs / r.disposable.cpuUs)
  log(`gpg ÷ disposable, same run: posts/s ${median(ratio).toFixed(2)} (${ratio.map((x) => x.toFixed(2)).join(', ')}); server CPU per post ${median(cpuRatio).toFixed(2)} (${cpuRatio.map((x) => x.toFixed(2)).join(', ')})`)
  const lost = rows.reduce((n, r) => n + r.checks.gpg.lost + r.checks.disposable.lost, 0)
  if (lost) process.exitCode = 1
}

log(header('bench/signatures.ts'))
if (ONLY.includes('micro')) await micro()
if (ONLY.includes('service')) await service()
if (ONLY.includes('http')) await http()
log(header('end'))
