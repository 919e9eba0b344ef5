// npx tsx bench/tally.ts — checking a decision offline, and casting ballots over HTTP
// (BENCHMARKS.md, "Tallies", says what each part does).
//
//   BENCH_VOTERS=100 BENCH_RUNS=1 BENCH_HTTP_RUNS=1 BENCH_DURATION=2 BENCH_WARMUP=1 BENCH_PRESIGN=50 npx tsx bench/tally.ts   quick check
//
// verify: `src/cli.ts verify-tally` (spawn → exit) on a bundle of BENCH_VOTERS ballots and on one of
// 1 ballot, and verifyTally() in this process. http: BENCH_CAST voters logged in by the GnuPG path
// cast pre-signed ballots on one question. A question closes once its outcome cannot change, so one
// voter on the roster never votes and each always casts the same choice (8 yes, 4 no, the rest
// abstain: with 21 eligible, quorum 11, two thirds, the missing ballot still decides; BENCH_CAST=20).
// Environment: BENCH_VOTERS=1000 BENCH_RUNS=5 BENCH_HTTP_RUNS=3 BENCH_DURATION=10 BENCH_CAST=20
// BENCH_PRESIGN=400 (a voter who runs out starts again from the first) BENCH_WARMUP=3 BENCH_ONLY=verify,http
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ballotText, outcomeOf, type Choice } from '../src/domain/questions.ts'
import { verifyClearsigned } from '../src/pgp.ts'
import { addRosterKey } from '../src/services/cells.ts'
import { verifyTally } from '../src/services/verify-tally.ts'
import { fmt, header, inTempDir, loadText, log, loggedIn, median, num, only, query, runCli, runsOf, signers, startNode, submitLoop, table, type Signer, type Visitor } from './harness.ts'
import { withDeps } from './seed.ts'

const VOTERS = num('BENCH_VOTERS', 1000)
const RUNS = Math.max(1, num('BENCH_RUNS', 5))
const HTTP_RUNS = Math.max(1, num('BENCH_HTTP_RUNS', 3))
const DURATION = num('BENCH_DURATION', 10)
const CAST = num('BENCH_CAST', 20)
const PRESIGN = num('BENCH_PRESIGN', 400)
const WARMUP = num('BENCH_WARMUP', 3)
const ONLY = only('BENCH_ONLY', 'verify,http')
const SITE = 'cellboard.local'
const ballot = (choice: Choice) => ballotText({ site: SITE, cell: 'lobby', question: 1, line: 1, choice })

async function bundleOf(keys: Signer[]) {
  const tally = { yes: 0, no: 0, abstain: 0 }
  const ballots = []
  for (const [i, k] of keys.entries()) {
    const choice = (['yes', 'no', 'abstain'] as const)[i % 3]!
    tally[choice]++
    ballots.push({ fingerprint: k.fingerprint, signing: 'gpg-signed', signedText: await k.sign(ballot(choice)) })
  }
  const quorum = Math.max(1, Math.ceil(keys.length / 2))
  const question = {
    number: 1, lineVersion: 1, kind: 'amend_line', payload: { kind: 'amend_line', change: 'add', principle: null, text: 'Benchmark principle.' }, argument: 'For the benchmark.',
    eligible: keys.length, quorum, threshold: 'two_thirds' as const, openedAt: '2026-11-19T10:00:00.000Z', deadline: '2026-11-22T10:00:00.000Z', closedAt: '2026-11-22T10:00:00.000Z',
    outcome: outcomeOf({ ...tally, eligible: keys.length, quorum, threshold: 'two_thirds' }), tally,
  }
  const eligible = keys.map((k) => ({ fingerprint: k.fingerprint, publicKey: k.publicKey })).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint))
  return { format: 'cellboard-tally-v1', site: SITE, cell: 'lobby', question, eligible, ballots }
}

async function verifyPart() {
  const t0 = performance.now()
  const keys = await signers(VOTERS)
  const bundle = await bundleOf(keys)
  await inTempDir('bench-tally', async (dir) => {
    const [file, small] = [join(dir, 'bundle.json'), join(dir, 'small.json')]
    writeFileSync(file, JSON.stringify(bundle, null, 2))
    writeFileSync(small, JSON.stringify(await bundleOf(keys.slice(0, 1)), null, 2))
    log(`built a bundle of ${VOTERS} keys and ballots (${fmt(JSON.stringify(bundle, null, 2).length)} B; tally ${JSON.stringify(bundle.question.tally)}, ${bundle.question.outcome}) in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`)
    const ms = { cli: [] as number[], small: [] as number[], inProcess: [] as number[], cpu: [] as number[] }
    for (let run = 1; run <= RUNS; run++) {
      const big = await runCli(['verify-tally', file])
      const one = await runCli(['verify-tally', small])
      for (const r of [big, one]) if (r.code !== 0 || !r.out.startsWith('ok:')) throw new Error(`verify-tally failed (${r.code}): ${r.out}`)
      const c0 = process.cpuUsage()
      const s = performance.now()
      const r = await verifyTally(bundle)
      const wall = performance.now() - s
      const c = process.cpuUsage(c0)
      if (!r.ok) throw new Error(`verifyTally: ${r.problems.join('; ')}`)
      ms.cli.push(big.end - big.start), ms.small.push(one.end - one.start), ms.inProcess.push(wall), ms.cpu.push((c.user + c.system) / 1000)
      log(`  run ${run}: CLI ${fmt(ms.cli.at(-1)!)} ms ("${big.out}"), CLI on 1 ballot ${fmt(ms.small.at(-1)!)} ms, in-process ${fmt(wall)} ms (CPU ${fmt(ms.cpu.at(-1)!)} ms); ${loadText()}`)
    }
    const m = median(ms.inProcess)
    log('')
    table(`verify-tally, ${VOTERS} ballots (median of ${RUNS}) | ms (runs)`, [`CLI end to end (spawn → exit) | ${runsOf(ms.cli)}`, `CLI on a 1-ballot bundle (fixed cost) | ${runsOf(ms.small)}`, `verifyTally() in process | ${runsOf(ms.inProcess)}`])
    log(`in process: ${fmt((m * 1000) / VOTERS)} µs per ballot (key check + signature), ${fmt(VOTERS / (m / 1000))} ballots/s; CPU ÷ wall ${(median(ms.cpu) / m).toFixed(2)}`)
  })
}

const choiceOf = (i: number): Choice => (i < 8 ? 'yes' : i < 12 ? 'no' : 'abstain')

const httpRun = (run: number, keys: Signer[], signed: string[][]) => inTempDir('bench-ballot', async (dir) => {
  await withDeps(dir, async (deps) => {
    for (const k of keys) await addRosterKey(deps, { cell: 'lobby', armoredKey: k.publicKey, tier: 'voter' })
  })
  const server = await startNode({ DATA_DIR: dir })
  const casting: Visitor[] = []
  for (const k of keys.slice(0, CAST)) casting.push(await loggedIn(server.url, k))
  const raised = await casting[0]!.post('/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Benchmark principle.', argument: 'For the benchmark.' })
  if (raised.res.status !== 303 || !/\/questions\/1$/.test(raised.res.headers.get('location') ?? '')) throw new Error(`raising the question: ${raised.res.status} ${raised.res.headers.get('location')} (the ballots are signed for question 1)`)
  // Every cast is a submission of its own, as from a freshly opened form: the same token with the
  // same fields again would get the first answer back (src/http/middleware/idempotency.ts) and
  // cast nothing. The server ignores the extra field.
  let sent = 0
  const cast = (pick: (i: number, k: number) => string) => (i: number, k: number) => ({ path: '/c/lobby/questions/1/ballot', fields: { signed: pick(i, k), sent: String(++sent) } })
  await submitLoop(casting, WARMUP, cast((i, k) => signed[i]![(PRESIGN - 1 - k) % PRESIGN]!), /questions\/1$/) // unmeasured: the same ballots
  let reused = 0
  const s = await submitLoop(casting, DURATION, cast((i, k) => (k >= PRESIGN && reused++, signed[i]![k % PRESIGN]!)), /questions\/1$/, [server.pid])
  await server.stop()

  const [q] = await query<{ status: string; eligible: number; quorum: number }>({ dataDir: dir }, 'select status, eligible, quorum from question where id = 1')
  const rows = await query<{ choice: Choice; signed_text: string; fingerprint: string }>({ dataDir: dir }, 'select b.choice, b.signed_text, k.fingerprint from ballot b join public_key k on k.id = b.key_id where b.question_id = 1')
  const index = new Map(keys.map((k, i) => [k.fingerprint, i]))
  const wrongChoice = rows.filter((r) => r.choice !== choiceOf(index.get(r.fingerprint)!)).length
  let verified = 0
  for (const r of rows) if (await verifyClearsigned(r.signed_text, keys[index.get(r.fingerprint)!]!.publicKey).then(() => true, () => false)) verified++
  const res = { bps: s.pps, p50: s.p50, p99: s.p99, cpuUs: s.cpuUs, cpuShare: s.cpuShare, rows: rows.length, distinct: new Set(rows.map((r) => r.fingerprint)).size, status: q!.status, ok: false }
  res.ok = q!.status === 'open' && res.rows === CAST && res.distinct === CAST && wrongChoice === 0 && verified === rows.length && Object.keys(s.failures).length === 0
  log(`  run ${run}: ${fmt(res.bps)} ballots/s, p50 ${fmt(res.p50, 1)} ms, p99 ${fmt(res.p99, 1)} ms, server ${fmt(res.cpuUs)} CPU-µs/ballot at ${fmt(100 * res.cpuShare)}% of a core, waited ${fmt(100 * s.waitShare)}%; acknowledged ${s.acked.length} (${reused} re-sent an earlier signed ballot), failures ${JSON.stringify(s.failures)}; ` +
    `question ${q!.status} (eligible ${q!.eligible}, quorum ${q!.quorum}), ballot rows ${res.rows} for ${res.distinct} distinct voters of ${CAST}, wrong choice ${wrongChoice}, stored texts verifying ${verified}/${rows.length}; ${loadText()}`)
  return res
})

async function httpPart() {
  const keys = await signers(CAST + 1)
  const signed: string[][] = []
  for (let i = 0; i < CAST; i++) signed.push(await Promise.all(Array.from({ length: PRESIGN }, () => keys[i]!.sign(ballot(choiceOf(i))))))
  log(`\n${CAST + 1} voters on the roster, ${CAST} casting (${PRESIGN} signed ballots each, made before the runs), ${DURATION} s per run`)
  const rs = []
  for (let run = 1; run <= HTTP_RUNS; run++) rs.push(await httpRun(run, keys, signed))
  log(`ballots: ${runsOf(rs.map((r) => r.bps))} ballots/s, p50 ${fmt(median(rs.map((r) => r.p50)), 1)} ms, p99 ${runsOf(rs.map((r) => r.p99), 1)} ms, server ${fmt(median(rs.map((r) => r.cpuUs)))} CPU-µs/ballot at ${fmt(100 * median(rs.map((r) => r.cpuShare)))}% of a core; ` +
    `ballot rows = distinct voters: ${rs.map((r) => `${r.rows} = ${r.distinct}`).join(', ')}; question still open: ${rs.every((r) => r.status === 'open')}; all checks passed: ${rs.every((r) => r.ok)}`)
  if (!rs.every((r) => r.ok)) process.exitCode = 1
}

log(header('bench/tally.ts'))
if (ONLY.has('verify')) await verifyPart()
if (ONLY.has('http')) await httpPart()
log(header('end'))
