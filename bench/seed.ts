// Benchmark data, written through the real code paths (migrations, the default cell, the posting
// use cases with disposable identities), so what the benchmark reads is what the product writes.
//
//   npx tsx bench/seed.ts DIR      seeds DIR/cellboard.db (DIR must not hold a database yet)
//
// Seeds, on the default cell's "general" board:
//   - 59 other threads (1–3 posts each, bodies taken from the fixture lines), then
//   - "Benchmark thread": exactly the 200 lines of bench/fixtures/thread-200.txt as its
//     200 posts (line 1 opens the thread), written by 4 disposable identities in turn.
// 60 threads in all, so the board's first page shows a full page of 50 (THREADS_PER_PAGE) and a
// pager; the benchmark thread has the newest activity, so it is on that first page.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadConfig } from '../src/config.ts'
import { openDeps } from '../src/compose.ts'
import type { Session } from '../src/ephemeral/sessions.ts'
import { ensureDefaultCell } from '../src/services/cells.ts'
import { takeDisposableIdentity } from '../src/services/identities.ts'
import { replyToThread, startThread } from '../src/services/posts.ts'

export const FIXTURE = process.env.BENCH_FIXTURE ?? new URL('fixtures/thread-200.txt', import.meta.url).pathname
export const BENCH_THREAD_TITLE = 'Benchmark thread'
export const OTHER_THREADS = 59
export const IDENTITIES = 4

export type Seeded = {
  dataDir: string
  dbFile: string
  cell: string
  board: string
  boardPath: string
  threadId: number
  threadPath: string
  threadPosts: number
  threads: number
}

export function fixtureLines(file = FIXTURE): string[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

export async function seed(dataDir: string, env: Record<string, string> = {}): Promise<Seeded> {
  mkdirSync(dataDir, { recursive: true })
  const dbFile = join(dataDir, 'cellboard.db')
  const config = loadConfig({ ...env, DATA_DIR: dataDir })
  if (!config.databaseUrl && existsSync(dbFile)) throw new Error(`${dbFile} already exists: seed a fresh folder`)
  // SQLite in dataDir, or the PostgreSQL database named by DATABASE_URL in env.
  const { deps, close } = await openDeps({ ...config, redisUrl: null })
  const db = deps.db
  try {
    await ensureDefaultCell(deps)
    const cell = config.defaultCell
    const board = 'general'
    const lines = fixtureLines()
    if (lines.length !== 200) throw new Error(`${FIXTURE} has ${lines.length} lines, expected 200`)

    const people: Session[] = []
    for (let i = 0; i < IDENTITIES; i++) people.push(await takeDisposableIdentity(deps))
    const as = (i: number) => ({ session: people[i % people.length]!, expired: false })

    // The other threads first, so the benchmark thread ends up with the newest activity.
    for (let t = 0; t < OTHER_THREADS; t++) {
      const body = lines[t % lines.length]!
      const r = await startThread(deps, as(t), { cell, board, title: `Other thread ${t + 1}`, body })
      for (let k = 0; k < t % 3; k++) {
        await replyToThread(deps, as(t + k + 1), { cell, board, thread: r.thread, body: lines[(t * 7 + k) % lines.length]! })
      }
    }

    const first = await startThread(deps, as(0), { cell, board, title: BENCH_THREAD_TITLE, body: lines[0]! })
    for (let i = 1; i < lines.length; i++) {
      await replyToThread(deps, as(i), { cell, board, thread: first.thread, body: lines[i]! })
    }

    // Check what was written, not what we meant to write.
    const stored = await db.selectFrom('post').select(['number', 'body_source']).where('thread_id', '=', first.threadId).orderBy('number').execute()
    if (stored.length !== lines.length || stored.some((p, i) => p.number !== i + 1 || p.body_source !== lines[i])) {
      throw new Error('the benchmark thread does not hold exactly the fixture lines, in order')
    }
    const threads = await db.selectFrom('thread').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return {
      dataDir,
      dbFile,
      cell,
      board,
      boardPath: `/c/${cell}/${board}`,
      threadId: first.threadId,
      threadPath: first.threadPath,
      threadPosts: stored.length,
      threads: Number(threads.n),
    }
  } finally {
    await close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2]
  if (!dir) {
    console.error('usage: tsx bench/seed.ts DATA_DIR')
    process.exit(2)
  }
  const t0 = performance.now()
  const s = await seed(resolve(dir))
  console.log(`seeded ${s.dbFile} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${s.threads} threads; ${s.threadPath} has ${s.threadPosts} posts`)
}
