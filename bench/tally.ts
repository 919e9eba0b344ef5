// npx tsx bench/tally.ts — checking a decision offline, and casting ballots over HTTP.
//
// Part 1: a tally bundle in the format of src/services/questions.ts tallyBundle
// (format cellboard-tally-v1) with BENCH_VOTERS eligible keys (openpgp ecc, with their armored
// public keys) and one ballot each, clearsigned over src/domain/questions.ts ballotText for one
// amend_line question (yes / no / abstain in turn). Building it (keys, signatures) is not timed.
// It is written to a temp file; then, BENCH_RUNS times each, median:
//   - `node --import tsx src/cli.ts verify-tally FILE`, end to end (spawn → exit; must print "ok:");
//   - the same command on a bundle of 1 key and 1 ballot (the fixed cost: node, tsx, imports);
//   - verifyTally() in this process.
//
// Part 2: per run a fresh DATA_DIR (SQLite). BENCH_CAST + 1 voters go on the lobby roster
// through addRosterKey (src/services/cells.ts) before the real server starts. BENCH_CAST of them
// log in by the GnuPG path; the first raises an amend_line question over HTTP (POST
// /c/lobby/questions). They then POST pre-signed pasted ballots (`signed`) to
// /c/lobby/questions/ID/ballot, one request in flight each, for BENCH_DURATION s (after an
// unmeasured BENCH_WARMUP s of the same). A later ballot replaces the earlier one, and the
// question closes as soon as its outcome can no longer change — in particular once every eligible
// voter has cast a ballot, whatever the choices. So one voter on the roster never votes, and each
// voter always casts the same choice: 8 yes, 4 no, the rest abstain. With 21 eligible (quorum 11,
// two thirds), the one missing ballot can still decide it (8 yes : 4 no adopts, 8 : 5 rejects),
// and no partial tally settles it either (this assumes BENCH_CAST=20). Acknowledged = 303 to the
// question page.
// After a clean stop, read-only: the question is still open, and the ballot rows equal the
// number of distinct voters, each with its voter's choice.
//
// Environment: BENCH_VOTERS=1000 BENCH_RUNS=5 BENCH_HTTP_RUNS=3 BENCH_DURATION=10 BENCH_CAST=20
//   BENCH_PRESIGN=400 (signed ballots per voter; a voter who runs out starts again from the first)
//   BENCH_WARMUP=3 (s of unmeasured ballots before each measured run)
//   BENCH_ONLY=verify|http
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { ballotText, outcomeOf, type Choice } from '../src/domain/questions.ts'
import { verifyClearsigned } from '../src/pgp.ts'
import { addRosterKey } from '../src/services/cells.ts'
import { verifyTally } from '../src/services/verify-tally.ts'
import {
  clearsignWith, closedLoop, cpuSeconds, fmt, FORM, formBody, header, heldKey, log, loadText, logInGpg, median, newAgent, num, openDeps, pct, ROOT, send, startServer, waitSeconds,
  type Client, type HeldKey,
} from './lib.ts'

const VOTERS = num('BENCH_VOTERS', 1000)
const RUNS = Math.max(1, num('BENCH_RUNS', 5))
const HTTP_RUNS = Math.max(1, num('BENCH_HTTP_RUNS', 3))
const DURATION = num('BENCH_DURATION', 10)
const CAST = num('BENCH_CAST', 20)
const PRESIGN = num('BENCH_PRESIGN', 400)
const WARMUP = num('BENCH_WARMUP', 3)
const ONLY = process.env.BENCH_ONLY ?? 'verify,http'
const SITE = 'cellboard.local'
const CHOICES: Choice[] = ['yes', 'no', 'abstain']

// ---------- part 1: verify a bundle ----------

async function bundleOf(keys: HeldKey[]) {
  const question = { number: 1, lineVersion: 1 }
  const tally = { yes: 0, no: 0, abstain: 0 }
  const ballots = []
  for (const [i, k] of keys.entries()) {
    const choice = CHOICES[i % 3]!
    tally[choice]++
    ballots.push({ fingerprint: k.fingerprint, signing: 'gpg-signed', signedText: await clearsignWith(k, ballotText({ site: SITE, cell: 'lobby', question: question.number, line: question.lineVersion, choice })) })
  }
  const quorum = Math.max(1, Math.ceil(keys.length / 2))
  const outcome = outcomeOf({ ...tally, eligible: keys.length, quorum, threshold: 'two_thirds' })
  return {
    format: 'cellboard-tally-v1',
    site: SITE,
    cell: 'lobby',
    question: {
      ...question,
      kind: 'amend_line',
      payload: { kind: 'amend_line', change: 'add', principle: null, text: 'Benchmark principle.' },
      argument: 'For the benchmark.',
      eligible: keys.length,
      quorum,
      threshold: 'two_thirds' as const,
      openedAt: '2026-11-19T10:00:00.000Z',
      deadline: '2026-11-22T10:00:00.000Z',
      closedAt: '2026-11-22T10:00:00.000Z',
      outcome,
      tally,
    },
    eligible: keys.map((k) => ({ fingerprint: k.fingerprint, publicKey: k.publicKey })).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
    ballots,
  }
}

function timeCli(file: string): Promise<{ ms: number; out: string; code: number | null }> {
  const t0 = performance.now()
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify-tally', file], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  p.stdout.on('data', (d) => (out += d))
  p.stderr.on('data', (d) => (out += d))
  return new Promise((resolve) => p.on('exit', (code) => resolve({ ms: performance.now() - t0, out: out.trim(), code })))
}

async function verifyPart() {
  const t0 = performance.now()
  const keys: HeldKey[] = []
  for (let i = 0; i < VOTERS; i++) keys.push(await heldKey(`voter ${i + 1}`))
  const bundle = await bundleOf(keys)
  const small = await bundleOf(keys.slice(0, 1))
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-tally-'))
  try {
    const file = join(dir, 'bundle.json')
    const smallFile = join(dir, 'small.json')
    writeFileSync(file, JSON.stringify(bundle, null, 2))
    writeFileSync(smallFile, JSON.stringify(small, null, 2))
    log(`built a bundle of ${VOTERS} keys and ${bundle.ballots.length} ballots (${fmt(JSON.stringify(bundle, null, 2).length)} B; tally ${JSON.stringify(bundle.question.tally)}, ${bundle.question.outcome}) in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`)
    const cli: number[] = []
    const cliSmall: number[] = []
    const inproc: number[] = []
    const inprocCpu: number[] = []
    for (let run = 1; run <= RUNS; run++) {
      const big = await timeCli(file)
      if (big.code !== 0 || !big.out.startsWith('ok:')) throw new Error(`verify-tally failed (${big.code}): ${big.out}`)
      const one = await timeCli(smallFile)
      if (one.code !== 0 || !one.out.startsWith('ok:')) throw new Error(`verify-tally (1 ballot) failed (${one.code}): ${one.out}`)
      const c0 = process.cpuUsage()
      const s = performance.now()
      const r = await verifyTally(bundle)
      const ms = performance.now() - s
      const c = process.cpuUsage(c0)
      if (!r.ok) throw new Error(`verifyTally: ${r.problems.join('; ')}`)
      cli.push(big.ms), cliSmall.push(one.ms), inproc.push(ms), inprocCpu.push((c.user + c.system) / 1000)
      log(`  run ${run}: CLI ${fmt(big.ms)} ms ("${big.out}"), CLI on 1 ballot ${fmt(one.ms)} ms, in-process ${fmt(ms)} ms (CPU ${fmt(inprocCpu.at(-1)!)} ms); ${loadText()}`)
    }
    const m = median(inproc)
    log(`\n| verify-tally, ${VOTERS} ballots (median of ${RUNS}) | ms | per run |`)
    log('|---|---:|---|')
    log(`| CLI end to end (spawn → exit) | ${fmt(median(cli))} | ${cli.map((x) => fmt(x)).join(', ')} |`)
    log(`| CLI on a 1-ballot bundle (fixed cost) | ${fmt(median(cliSmall))} | ${cliSmall.map((x) => fmt(x)).join(', ')} |`)
    log(`| verifyTally() in process | ${fmt(m)} | ${inproc.map((x) => fmt(x)).join(', ')} |`)
    log(`in process: ${fmt((m * 1000) / VOTERS)} µs per ballot (key check + signature), ${fmt(VOTERS / (m / 1000))} ballots/s; CPU ÷ wall ${(median(inprocCpu) / m).toFixed(2)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------- part 2: casting ballots over HTTP ----------

const choiceOf = (i: number): Choice => (i < 8 ? 'yes' : i < 12 ? 'no' : 'abstain')

async function httpRun(run: number, keys: HeldKey[], signed: string[][]) {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-ballot-'))
  try {
    const { deps, close } = await openDeps(dir)
    for (const k of keys) await addRosterKey(deps, { cell: 'lobby', armoredKey: k.publicKey, role: 'voter' })
    await close()
    const server = await startServer(dir)
    const agent = newAgent(CAST)
    const voters: Client[] = []
    for (const k of keys.slice(0, CAST)) voters.push(await logInGpg(agent, server.url, k))
    const raised = await send(agent, `${server.url}/c/lobby/questions`, 'POST', { ...FORM, cookie: voters[0]!.cookie }, formBody({ _csrf: voters[0]!.csrf, kind: 'amend_line', change: 'add', text: 'Benchmark principle.', argument: 'For the benchmark.' }))
    const id = Number(/\/questions\/(\d+)$/.exec(String(raised.headers.location ?? ''))?.[1])
    if (raised.status !== 303 || id !== 1) throw new Error(`raising the question: ${raised.status} ${raised.headers.location} (the ballots are signed for question 1)`)

    const url = `${server.url}/c/lobby/questions/${id}/ballot`
    // Every cast is a submission of its own, as from a freshly opened form: the same token with
    // the same fields again would get the first answer back (src/http/middleware/idempotency.ts)
    // and cast nothing. The server ignores the extra field.
    let sent = 0
    // Unmeasured warm-up: the same ballots (each replaces the voter's earlier one).
    await closedLoop(voters, WARMUP, async (v, i, k) => void (await send(agent, url, 'POST', { ...FORM, cookie: v.cookie }, formBody({ _csrf: v.csrf, signed: signed[i]![(PRESIGN - 1 - k) % PRESIGN]!, sent: String(++sent) }))))
    const latencies: number[] = []
    const failures: Record<string, number> = {}
    let acked = 0
    let reused = 0
    const cpu0 = cpuSeconds(server.pid)
    const wait0 = waitSeconds(server.pid)
    const seconds = await closedLoop(voters, DURATION, async (v, i, k) => {
      if (k >= signed[i]!.length) reused++
      const start = performance.now()
      try {
        const r = await send(agent, url, 'POST', { ...FORM, cookie: v.cookie }, formBody({ _csrf: v.csrf, signed: signed[i]![k % signed[i]!.length]!, sent: String(++sent) }))
        if (r.status === 303 && String(r.headers.location).endsWith(`/questions/${id}`)) latencies.push(performance.now() - start), acked++
        else failures[`HTTP ${r.status}`] = (failures[`HTTP ${r.status}`] ?? 0) + 1
      } catch (e) {
        failures[(e as Error).message] = (failures[(e as Error).message] ?? 0) + 1
      }
    })
    const cpu = cpuSeconds(server.pid) - cpu0
    const waited = waitSeconds(server.pid) - wait0
    agent.destroy()
    await server.stop()

    const db = new BetterSqlite3(join(dir, 'cellboard.db'), { readonly: true, fileMustExist: true })
    const q = db.prepare('select status, eligible, quorum from question where id = ?').get(id) as { status: string; eligible: number; quorum: number }
    const rows = db.prepare('select b.choice, b.signed_text, k.fingerprint from ballot b join public_key k on k.id = b.key_id where b.question_id = ?').all(id) as { choice: Choice; signed_text: string; fingerprint: string }[]
    db.close()
    const index = new Map(keys.map((k, i) => [k.fingerprint, i]))
    const wrongChoice = rows.filter((r) => r.choice !== choiceOf(index.get(r.fingerprint)!)).length
    let verified = 0
    for (const r of rows) if (await verifyClearsigned(r.signed_text, keys[index.get(r.fingerprint)!]!.publicKey).then(() => true, () => false)) verified++
    const res = { bps: acked / seconds, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), acked, cpuUs: (cpu * 1e6) / Math.max(1, acked), cpuShare: cpu / seconds, waitShare: waited / seconds, rows: rows.length, distinct: new Set(rows.map((r) => r.fingerprint)).size, status: q.status, ok: false }
    res.ok = q.status === 'open' && res.rows === CAST && res.distinct === CAST && wrongChoice === 0 && verified === rows.length && Object.keys(failures).length === 0
    log(`  run ${run}: ${fmt(res.bps)} ballots/s, p50 ${res.p50.toFixed(1)} ms, p99 ${res.p99.toFixed(1)} ms, server ${fmt(res.cpuUs)} CPU-µs/ballot at ${fmt(100 * res.cpuShare)}% of a core, waited ${fmt(100 * res.waitShare)}%; acknowledged ${acked} (${reused} re-sent an earlier signed ballot), failures ${JSON.stringify(failures)}; ` +
      `question ${q.status} (eligible ${q.eligible}, quorum ${q.quorum}), ballot rows ${res.rows} for ${res.distinct} distinct voters of ${CAST}, wrong choice ${wrongChoice}, stored texts verifying ${verified}/${rows.length}; ${loadText()}`)
    return res
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function httpPart() {
  const keys: HeldKey[] = []
  for (let i = 0; i <= CAST; i++) keys.push(await heldKey(`voter ${i + 1}`))
  const signed: string[][] = []
  for (let i = 0; i < CAST; i++) {
    const text = ballotText({ site: SITE, cell: 'lobby', question: 1, line: 1, choice: choiceOf(i) })
    const mine: string[] = []
    for (let k = 0; k < PRESIGN; k++) mine.push(await clearsignWith(keys[i]!, text))
    signed.push(mine)
  }
  log(`\n${CAST + 1} voters on the roster, ${CAST} casting (${PRESIGN} signed ballots each, made before the runs), ${DURATION} s per run`)
  const rs = []
  for (let run = 1; run <= HTTP_RUNS; run++) rs.push(await httpRun(run, keys, signed))
  log(`ballots: ${fmt(median(rs.map((r) => r.bps)))} ballots/s median (${rs.map((r) => fmt(r.bps)).join(', ')}), p50 ${median(rs.map((r) => r.p50)).toFixed(1)} ms, p99 ${median(rs.map((r) => r.p99)).toFixed(1)} ms (${rs.map((r) => r.p99.toFixed(1)).join(', ')}), server ${fmt(median(rs.map((r) => r.cpuUs)))} CPU-µs/ballot at ${fmt(100 * median(rs.map((r) => r.cpuShare)))}% of a core; ` +
    `ballot rows = distinct voters: ${rs.map((r) => `${r.rows} = ${r.distinct}`).join(', ')}; question still open: ${rs.every((r) => r.status === 'open')}; all checks passed: ${rs.every((r) => r.ok)}`)
  if (!rs.every((r) => r.ok)) process.exitCode = 1
}

log(header('bench/tally.ts'))
if (ONLY.includes('verify')) await verifyPart()
if (ONLY.includes('http')) await httpPart()
log(header('end'))
