// npx tsx bench/spam.ts — a spam run against a legitimate poster (issue 11; BENCHMARKS.md, "A spam run").
//
//   BENCH_SPAMMERS=10 BENCH_ATTEMPTS=200 BENCH_SECONDS=30 npx tsx bench/spam.ts   quick check
//
// The real server on 127.0.0.1 with ABUSE_COSTS=on, the default difficulty and the default limits
// per key, over a fresh SQLite board with one thread. First a reference, on the quiet server: a
// legitimate poster pays its proof of work, takes an identity and replies BENCH_QUIET times. Then,
// from t = 0, BENCH_SPAMMERS clients each pay their own proof of work (BENCH_SOLVERS at a time,
// solved in this process as a native solver would), take a fresh identity and send their share of
// BENCH_ATTEMPTS posts as fast as answers come (one in five a new thread, the rest replies to the
// thread); meanwhile a second legitimate poster pays, takes an identity and replies every
// BENCH_EVERY s. A reply is "published" when an anonymous GET of the page its 303 names shows its
// text. Flood mode is on its defaults (auto, FLOOD_POSTS_PER_MINUTE 30): once the board is in flood,
// a post answered 422 with a check is paid (solved here) and sent again, by spammers and the
// legitimate poster alike. Everything stops BENCH_SECONDS after the server started, at the latest.
// Environment: BENCH_SPAMMERS=50 BENCH_ATTEMPTS=1000 BENCH_SOLVERS=(CPUs) BENCH_QUIET=4 BENCH_LEGIT=6 BENCH_EVERY=5 BENCH_SECONDS=85
import { cpus } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { windowFor } from '../src/domain/limits.ts'
import { hiddenFields } from '../tests/support/forms.ts'
import { LIMITS_AS_CONFIGURED } from '../tests/support/settings.ts'
import { fmt, header, inTempDir, log, median, meter, num, query, runsOf, sleep, solvePow, startNode, table, Visitor } from './harness.ts'
import { posters, withDeps, writeThread } from './seed.ts'

const SPAMMERS = Math.max(1, num('BENCH_SPAMMERS', 50))
const ATTEMPTS = num('BENCH_ATTEMPTS', 1000)
const SOLVERS = Math.max(1, num('BENCH_SOLVERS', cpus().length))
const QUIET = num('BENCH_QUIET', 4)
const LEGIT = num('BENCH_LEGIT', 6)
const EVERY = num('BENCH_EVERY', 5)
const SECONDS = num('BENCH_SECONDS', 85)
const limits = loadConfig(LIMITS_AS_CONFIGURED).limits
const [newThreads, newReplies] = [windowFor(limits, 'thread', { newKey: true }).points, windowFor(limits, 'reply', { newKey: true }).points]
if (LEGIT > newReplies) throw new Error(`BENCH_LEGIT: a new key may reply ${newReplies} times in 10 minutes`)

/** A browser that pays the identity form's proof of work and takes a disposable identity: ms solving, and when it had solved. */
async function paidIdentity(v: Visitor) {
  const pow = hiddenFields((await v.get('/identity')).text, '/identity/disposable').cost_pow!
  const s = performance.now()
  const solution = await solvePow(pow)
  const solvedAt = performance.now()
  const { res } = await v.post('/identity/disposable', { cost_pow: pow, cost_solution: solution })
  if (res.status !== 303) throw new Error(`a paid identity was refused: ${res.status}`)
  await v.get('/identity') // a fresh form token: taking the identity set a new cookie
  return { solveMs: solvedAt - s, solvedAt }
}

const post = (v: Visitor, path: string, fields: Record<string, string>) => v.fetch(path, { method: 'POST', body: new URLSearchParams({ _csrf: v.csrf, ...fields }), signal: AbortSignal.timeout(10_000) })

/**
 * Post, and when the board is in flood (a 422 whose form carries a proof of work) pay it and send
 * again, as a browser with JavaScript on does: the answer, and ms spent solving (0 if none was asked).
 */
async function send(v: Visitor, path: string, fields: Record<string, string>) {
  const first = await post(v, path, fields)
  const pow = first.res.status === 422 ? hiddenFields(first.text, path).cost_pow : undefined
  if (!pow) return { ...first, solveMs: 0, solvedAt: NaN }
  const s = performance.now()
  const solution = await solvePow(pow)
  const solvedAt = performance.now()
  return { ...(await post(v, path, { ...fields, cost_pow: pow, cost_solution: solution })), solveMs: solvedAt - s, solvedAt }
}

/** A legitimate poster: pays, takes an identity, replies `n` times `every` s apart; ms from each submit until an anonymous reader sees the reply. */
async function legitimate(base: string, thread: string, label: string, n: number, every: number, deadline: number) {
  const v = new Visitor(base)
  const { solveMs, solvedAt } = await paidIdentity(v)
  const published: number[] = []
  const paid: number[] = [] // ms from solving a post's own check (flood mode) until it was published
  let firstAfterSolved = NaN
  for (let r = 0; r < n && performance.now() < deadline; r++) {
    const due = solvedAt + r * every * 1000
    if (r > 0) await sleep(due - performance.now())
    const marker = `${label} reply ${r} ${Math.random().toString(36).slice(2)}`
    const s = performance.now()
    const { res, solveMs: postSolveMs, solvedAt: postSolvedAt } = await send(v, thread, { body: marker })
    if (res.status !== 303) throw new Error(`${label}: reply ${r} answered ${res.status}`)
    const page = base + res.headers.get('location')!.replace(/#.*/, '')
    while (!(await (await fetch(page, { signal: AbortSignal.timeout(10_000) })).text()).includes(marker)) {
      if (performance.now() > s + 30_000) throw new Error(`${label}: reply ${r} not on ${page} after 30 s`)
      await sleep(20)
    }
    published.push(performance.now() - s)
    if (postSolveMs) paid.push(performance.now() - postSolvedAt)
    if (r === 0) firstAfterSolved = performance.now() - solvedAt
    log(`  ${label}: reply ${r} published ${fmt(published.at(-1)!)} ms after it was sent${postSolveMs ? ` (in flood: ${fmt(postSolveMs)} ms of it solving its check)` : ''}`)
  }
  return { solveMs, firstAfterSolved, published, paid }
}

/** One spammer with its paid identity: its share of attempts back to back; when each landed (ms from t0) and what refused the others. */
async function spam(v: Visitor, paid: Awaited<ReturnType<typeof paidIdentity>>, board: string, thread: string, i: number, share: number, t0: number, deadline: number) {
  const landed: number[] = []
  const refused: Record<string, number> = {}
  let postsPaid = 0 // posts it had to pay for, in flood mode
  for (let k = 0; k < share && performance.now() < deadline; k++) {
    const body = `spam ${i}.${k}`
    const { res, solveMs } = await (k % 5 === 0 ? send(v, board, { title: `Spam thread ${i}.${k}`, body }) : send(v, thread, { body })).catch((e: Error) => ({ res: { status: e.name }, solveMs: 0 }))
    if (solveMs) postsPaid++
    if (res.status === 303) landed.push(performance.now() - t0)
    else refused[res.status] = (refused[res.status] ?? 0) + 1
  }
  return { ...paid, ready: paid.solvedAt - t0, landed, refused, postsPaid }
}

log(header(`bench/spam.ts (${SPAMMERS} spammers, ${ATTEMPTS} attempts, ${SOLVERS} solving at once)`))
await inTempDir('spam', async (dir) => {
  const dataDir = join(dir, 'data')
  const target = await withDeps(dataDir, async (deps) => writeThread(deps, await posters(deps, 1), 'general', 'Under attack', ['The thread the spam run replies to.']))
  const [board, thread] = [target.threadPath.replace(/\/t\/.*/, ''), target.threadPath]
  const node = await startNode({ ...LIMITS_AS_CONFIGURED, ABUSE_COSTS: 'on', DATA_DIR: dataDir })
  try {
    const base = node.url
    const deadline = performance.now() + SECONDS * 1000
    log(`quiet reference: one legitimate poster, ${QUIET} replies 1 s apart`)
    const quiet = await legitimate(base, thread, 'quiet', QUIET, 1, deadline)

    log(`spam run: ${SPAMMERS} spammers × ${Math.floor(ATTEMPTS / SPAMMERS)} attempts, and a legitimate poster replying every ${EVERY} s`)
    const t0 = performance.now()
    const stop = await meter([node.pid])
    // SOLVERS chains each solve one proof of work after another; each spammer posts as soon as it has its identity.
    const chains = Array.from({ length: SOLVERS }, async (_, j) => {
      const mine = []
      for (let i = j; i < SPAMMERS && performance.now() < deadline; i += SOLVERS) {
        const v = new Visitor(base)
        mine.push(spam(v, await paidIdentity(v), board, thread, i, Math.floor(ATTEMPTS / SPAMMERS), t0, deadline))
      }
      return Promise.all(mine)
    })
    const [legit, spammers] = await Promise.all([legitimate(base, thread, 'legitimate', LEGIT, EVERY, deadline), Promise.all(chains).then((c) => c.flat())])
    const m = await stop()
    await node.stop()
    const stored = await query<{ n: number }>({ dataDir }, "select count(*) as n from post where body_source like 'spam %'")

    const landed = spammers.flatMap((s) => s.landed)
    const refused: Record<string, number> = {}
    for (const s of spammers) for (const [k, n] of Object.entries(s.refused)) refused[k] = (refused[k] ?? 0) + n
    const bound = SPAMMERS * (newThreads + newReplies)
    const lastReady = Math.max(...spammers.map((s) => s.ready))
    const pub = legit.published
    log('')
    table('what | figure', [
      `spam attempts sent | ${fmt(landed.length + Object.values(refused).reduce((a, b) => a + b, 0))}`,
      `spam posts landed in the first minute | **${fmt(landed.filter((t) => t < 60_000).length)}**`,
      `spam posts landed in all (stored: ${fmt(Number(stored[0]!.n))}) | ${fmt(landed.length)}`,
      `bound from the limits: ${SPAMMERS} × (${newThreads} threads + ${newReplies} replies, a new key's limits) | ${fmt(bound)}`,
      `spam posts that had to pay a check of their own (flood mode) | ${fmt(spammers.reduce((a, x) => a + x.postsPaid, 0))}`,
      `refused | ${Object.entries(refused).map(([k, n]) => `${fmt(n)} × ${k}`).join(', ') || 'none'}`,
      `proof of work per spam identity, ms (median, slowest; ${SOLVERS} at once) | ${fmt(median(spammers.map((s) => s.solveMs)))}, ${fmt(Math.max(...spammers.map((s) => s.solveMs)))}`,
      `all ${SPAMMERS} spam identities taken after, s | ${fmt(lastReady / 1000, 1)}`,
      `last spam post landed after, s | ${fmt(Math.max(...landed) / 1000, 1)}`,
      `so one such client keeps making identities/s, and landing posts a minute at a new key's limits | ${fmt((SPAMMERS * 1000) / lastReady, 2)}, ${fmt((SPAMMERS * 60_000 * (newThreads + newReplies)) / lastReady)}`,
      `server CPU during the run | ${fmt(m.cpu, 1)} s in ${fmt(m.seconds, 1)} s (${fmt((100 * m.cpu) / m.seconds)} % of a core)`,
      `legitimate poster: proof of work, ms (during the spam run; quiet reference) | ${fmt(legit.solveMs)}; ${fmt(quiet.solveMs)}`,
      `legitimate poster: cost solved → first reply published, ms | **${fmt(legit.firstAfterSolved)}** (quiet ${fmt(quiet.firstAfterSolved)})`,
      `legitimate poster: reply sent → published, ms, median (replies) | **${runsOf(pub)}**, max ${fmt(Math.max(...pub))}`,
      `legitimate poster in flood: its post's check solved → published, ms, median (replies) | ${legit.paid.length ? `**${runsOf(legit.paid)}**, max ${fmt(Math.max(...legit.paid))}` : 'never asked'}`,
      `quiet reference: reply sent → published, ms, median (replies) | ${runsOf(quiet.published)}, max ${fmt(Math.max(...quiet.published))}`,
      `ratio legitimate ÷ quiet (medians) | ${fmt(median(pub) / median(quiet.published), 2)}`,
    ])
    log(`goal: the legitimate poster publishes within 5 s of solving the cost: ${legit.firstAfterSolved < 5000 && Math.max(...legit.paid, 0) < 5000 ? 'met' : 'NOT met'}; spam landed ≤ the bound: ${landed.length <= bound ? 'met' : 'NOT met'}`)
    if (/internal error|warning/.test(node.output())) log(`WARNING: the server logged: ${node.output().split('\n').filter((l) => /internal error|warning/.test(l)).slice(0, 3).join(' | ')}`)
  } finally {
    await node.stop()
  }
})
log(header('end'))
