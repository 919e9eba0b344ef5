// The benchmarks' data, written through the real code (the composition root, migrations, the
// default cell, the posting use cases with disposable identities), so what a benchmark reads is
// what the product writes.
//
//   npx tsx bench/seed.ts DIR      seeds DIR/cellboard.db (DIR must not hold a database yet)
//
// seed() writes, on the default cell's "general" board, 59 other threads (1–3 posts each, bodies
// from the fixture lines), then "Benchmark thread": exactly the 200 lines of
// bench/fixtures/thread-200.txt as its 200 posts, by 4 disposable identities in turn. So the
// board's first page shows a full page of 50 threads and a pager, the benchmark thread (newest) on it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { openDeps } from '../src/compose.ts'
import { loadConfig } from '../src/config.ts'
import { ensureDefaultCell } from '../src/services/cells.ts'
import type { Deps } from '../src/services/deps.ts'
import { takeDisposableIdentity } from '../src/services/identities.ts'
import { replyToThread, startThread } from '../src/services/posts.ts'
import type { Who } from '../src/services/who.ts'
import { TEST_SETTINGS } from '../tests/support/settings.ts'

export const FIXTURE = process.env.BENCH_FIXTURE ?? new URL('fixtures/thread-200.txt', import.meta.url).pathname

export function fixtureLines(): string[] {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  if (lines.length !== 200) throw new Error(`${FIXTURE} has ${lines.length} lines, expected 200`)
  return lines
}

/**
 * `f` with the use cases over DATA_DIR (or env's DATABASE_URL), from the one composition root, with the default cell; closed after.
 * With the tests' limits per key (tests/support/settings.ts): a few keys write a whole board here in seconds.
 */
export async function withDeps<T>(dataDir: string, f: (deps: Deps) => Promise<T>, env: Record<string, string> = {}, now?: () => number): Promise<T> {
  const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...env, DATA_DIR: dataDir }), { now })
  try {
    await ensureDefaultCell(deps)
    return await f(deps)
  } finally {
    await close()
  }
}

/** n disposable identities, as the use cases take a poster. */
export async function posters(deps: Deps, n: number): Promise<Who[]> {
  const who: Who[] = []
  for (let i = 0; i < n; i++) who.push({ session: await takeDisposableIdentity(deps), expired: false })
  return who
}
export const rotate = <T>(xs: T[], by: number) => xs.map((_, i) => xs[(i + by) % xs.length]!)

/** A thread of `bodies` (the first opens it) on `board` of the default cell, written by `who` in turn. */
export async function writeThread(deps: Deps, who: Who[], board: string, title: string, bodies: string[]) {
  const cell = deps.config.defaultCell
  const first = await startThread(deps, who[0]!, { cell, board, title, body: bodies[0]! })
  for (let i = 1; i < bodies.length; i++) await replyToThread(deps, who[i % who.length]!, { cell, board, thread: first.thread, body: bodies[i]! })
  return first
}

export type Seeded = { dataDir: string; databaseUrl: string | null; boardPath: string; threadId: number; threadPath: string; threads: number }

/** The standard board: 60 threads, the last of them the fixture's 200 posts. */
export async function seed(dataDir: string, env: Record<string, string> = {}): Promise<Seeded> {
  if (!env.DATABASE_URL && existsSync(join(dataDir, 'cellboard.db'))) throw new Error(`${dataDir} already holds a database: seed a fresh folder`)
  mkdirSync(dataDir, { recursive: true })
  return withDeps(dataDir, async (deps) => {
    const lines = fixtureLines()
    const people = await posters(deps, 4)
    // The other threads first, so the benchmark thread ends up with the newest activity.
    for (let t = 0; t < 59; t++) {
      await writeThread(deps, rotate(people, t), 'general', `Other thread ${t + 1}`, [lines[t % 200]!, ...Array.from({ length: t % 3 }, (_, k) => lines[(t * 7 + k) % 200]!)])
    }
    const bench = await writeThread(deps, people, 'general', 'Benchmark thread', lines)
    // Check what was written, not what we meant to write.
    const stored = await deps.db.selectFrom('post').select(['number', 'body_source']).where('thread_id', '=', bench.threadId).orderBy('number').execute()
    if (stored.length !== 200 || stored.some((p, i) => p.number !== i + 1 || p.body_source !== lines[i])) throw new Error('the benchmark thread does not hold exactly the fixture lines, in order')
    const threads = await deps.db.selectFrom('thread').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return { dataDir, databaseUrl: env.DATABASE_URL ?? null, boardPath: `/c/${deps.config.defaultCell}/general`, threadId: bench.threadId, threadPath: bench.threadPath, threads: Number(threads.n) }
  }, env)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (!process.argv[2]) throw new Error('usage: npx tsx bench/seed.ts DATA_DIR')
  const t0 = performance.now()
  const s = await seed(resolve(process.argv[2]))
  console.log(`seeded ${s.dataDir} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${s.threads} threads; ${s.threadPath} has 200 posts`)
}
