// npx tsx bench/costs.ts — what the cost of a new identity costs (issue 11; BENCHMARKS.md, "Costs").
//
//   BENCH_ITER=200 BENCH_SOLVED=10 BENCH_LOADS=5 npx tsx bench/costs.ts   quick check
//
// server: in this process, on the tests' board (the same composition root as the server's) with
// ABUSE_COSTS=on at the default difficulty: server CPU to issue and to verify a proof-of-work
// challenge and a puzzle, and to draw a puzzle's picture.
// browser: the real server and Debian's Chromium: how long after the navigation starts the
// identity page's proof of work is solved by the page itself (fresh profile per load), at the
// default difficulty and at the harder ones in BENCH_HARDER (POW_COST×POW_MAX_COUNTER pairs).
// Environment: BENCH_ITER=2000 BENCH_SOLVED=40 BENCH_LOADS=7 BENCH_HARDER=1000x4000,2000x4000
// BENCH_ONLY=server,browser
import { loadConfig } from '../src/config.ts'
import { COST_TTL_MS } from '../src/domain/costs.ts'
import { drawCostPicture, issueProofOfWork, issuePuzzle, payCost, randomPuzzle } from '../src/services/costs.ts'
import { makeBoard } from '../tests/support/app.ts'
import { launchBrowser } from '../tests/support/browser.ts'
import { hiddenFields } from '../tests/support/forms.ts'
import { fmt, header, log, num, only, runsOf, solvePow, startNode, table, timeCalls } from './harness.ts'

const ITER = num('BENCH_ITER', 2000)
const SOLVED = num('BENCH_SOLVED', 40)
const LOADS = Math.max(1, num('BENCH_LOADS', 7))
const HARDER = (process.env.BENCH_HARDER ?? '1000x4000,2000x4000').split(',').filter(Boolean).map((p) => p.split('x').map(Number) as [number, number])
const ONLY = only('BENCH_ONLY', 'server,browser')
const defaults = loadConfig({})

/** `f` over `n` calls after `n / 10` unmeasured (call k gets k). */
const time = (n: number, f: (k: number) => Promise<unknown>) => timeCalls(n, Math.ceil(n / 10), f)

async function server() {
  const rows: [string, Awaited<ReturnType<typeof time>>][] = []
  let answer = 0 // the last puzzle's, so that it can be answered
  const remembered = () => {
    const p = randomPuzzle()
    answer = p.answer
    return p
  }
  const board = await makeBoard({ ABUSE_COSTS: 'on', CAPTCHA_RENDERS_PER_SECOND: '1000000', QUESTION_ANSWERS_PER_MINUTE: '1000000' }, Date.now, { puzzles: remembered })
  const low = await makeBoard({ ABUSE_COSTS: 'on', POW_COST: '1', POW_MAX_COUNTER: '2' })
  try {
    const deps = board.deps
    const until = () => deps.now() + COST_TTL_MS
    rows.push([`issue a proof-of-work challenge (POW_COST ${deps.config.powCost}: one PBKDF2 derivation)`, await time(ITER, () => issueProofOfWork(deps, 'identity', until()))])
    // Solving at the default difficulty takes long in Node too: a few, solved beforehand.
    const solved: { cost_pow: string; cost_solution: string }[] = []
    const s0 = performance.now()
    for (let i = 0; i < SOLVED + Math.ceil(SOLVED / 10); i++) {
      const pow = await issueProofOfWork(deps, 'identity', until())
      solved.push({ cost_pow: pow, cost_solution: await solvePow(pow) })
    }
    log(`solved ${solved.length} challenges at the default difficulty in Node (one thread, node:crypto): ${fmt((performance.now() - s0) / solved.length)} ms each on average`)
    rows.push([`verify a solved proof of work (default difficulty, ${SOLVED} challenges)`, await time(SOLVED, (i) => payCost(deps, 'identity', solved[i]!))])
    const lowSolved: { cost_pow: string; cost_solution: string }[] = []
    for (let i = 0; i < ITER + Math.ceil(ITER / 10); i++) {
      const pow = await issueProofOfWork(low.deps, 'identity', until())
      lowSolved.push({ cost_pow: pow, cost_solution: await solvePow(pow) })
    }
    rows.push([`verify a solved proof of work (POW_COST 1: the check does not depend on the difficulty)`, await time(ITER, (i) => payCost(low.deps, 'identity', lowSolved[i]!))])
    rows.push(['replay a spent proof of work (refused)', await time(ITER, () => payCost(low.deps, 'identity', lowSolved[0]!).catch(() => {}))])

    rows.push(['issue a puzzle (letters, question, sealed into its id: nothing kept)', await time(ITER, async () => issuePuzzle(deps, 'identity', until()))])
    const ids: { id: string; answer: number }[] = []
    for (let i = 0; i < ITER + Math.ceil(ITER / 10); i++) ids.push({ id: (await issuePuzzle(deps, 'identity', until()))!.id, answer })
    rows.push(['draw a puzzle’s picture (300×100 PNG)', await time(Math.min(ITER, 500), (i) => drawCostPicture(deps, ids[i]!.id))])
    rows.push(['verify an answered puzzle (opened, spent, MACs compared)', await time(ITER, (i) => payCost(deps, 'identity', { cost_puzzle: ids[i]!.id, cost_answer: String(ids[i]!.answer) }))])
    const png = (await drawCostPicture(deps, (await issuePuzzle(deps, 'identity', until()))!.id))!.png
    log(`a picture is ${fmt(png.length)} bytes`)
  } finally {
    await board.close()
    await low.close()
  }
  log(`\n${ITER} calls each (fewer where said) after a tenth as many unmeasured; in this process, SQLite, ephemeral state in memory`)
  table('what | median µs | p99 µs | process CPU-µs per call', rows.map(([what, r]) => `${what} | ${fmt(r.median)} | ${fmt(r.p99)} | ${fmt(r.cpuUs)}`))

}

/** Milliseconds from the navigation's start until the first form's proof of work is solved, per fresh page load. */
async function browserRun(env: Record<string, string>, label: string) {
  const node = await startNode({ ABUSE_COSTS: 'on', ...env })
  const browser = await launchBrowser()
  const times: number[] = []
  const problems: string[] = []
  try {
    for (let i = 0; i < LOADS + 1; i++) {
      const context = await browser.newContext({ baseURL: node.url })
      const page = await context.newPage()
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      await page.goto('/identity')
      const solved = await page.waitForFunction(() => {
        const v = (document.querySelector('form[action="/identity/disposable"] input[name="cost_solution"]') as HTMLInputElement | null)?.value
        return v ? performance.now() : false
      }, undefined, { polling: 10, timeout: 60_000 })
      const ms = (await solved.jsonValue()) as number
      const pow = hiddenFields(await page.content(), '/identity/disposable').cost_pow!
      const counter = JSON.parse(Buffer.from(pow, 'base64url').toString('utf8')).parameters
      if (i > 0) times.push(ms) // the first load warms the server and the browser's caches
      log(`  ${label}: load ${i}${i === 0 ? ' (warm-up)' : ''}: solved ${fmt(ms)} ms after the navigation started (cost ${counter.cost})`)
      await context.close()
    }
  } finally {
    await browser.close()
    await node.stop()
  }
  return { label, times, problems }
}

async function browser() {
  const runs = [await browserRun({}, `default (POW_COST ${defaults.powCost}, POW_MAX_COUNTER ${defaults.powMaxCounter})`)]
  for (const [cost, max] of HARDER) runs.push(await browserRun({ POW_COST: String(cost), POW_MAX_COUNTER: String(max) }, `POW_COST ${cost}, POW_MAX_COUNTER ${max}`))
  log(`\nChromium (${LOADS} fresh page loads each, after one unmeasured): ms from the navigation's start until the proof of work is in the form`)
  table('difficulty | median ms (loads) | slowest ms', runs.map((r) => `${r.label} | ${runsOf(r.times)} | ${fmt(Math.max(...r.times))}`))
  const problems = runs.flatMap((r) => r.problems)
  if (problems.length) log(`console errors: ${problems.join('; ')}`)
}

log(header('bench/costs.ts'))
if (ONLY.has('server')) await server()
if (ONLY.has('browser')) await browser()
log(header('done'))
