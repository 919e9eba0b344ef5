import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listThreads } from '../../src/db/threads.ts'
import { createBoard } from '../../src/services/cells.ts'
import { purge, removePost } from '../../src/services/forget.ts'
import { migrationTest } from '../support/migrations.ts'
import { makeBoard } from '../support/app.ts'

// board.thread_count (migration 2026120901) gives the board's pager its page count without a
// count(*) on every miss. Triggers keep it, so every way threads come and go must leave it equal
// to the threads the board really has; the pager and ?page=N then say what is there.
let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.UTC(2026, 10, 1, 12)
  board = await makeBoard({ THREADS_PER_PAGE: '2', POSTS_PER_PAGE: '2' }, () => now)
  await createBoard(board.deps, { cell: 'lobby', slug: 'brief', name: 'Brief', description: '', retentionDays: 2 })
})
afterEach(() => board.close())

/** Each board's kept count beside the threads it has, by slug. */
async function counts(): Promise<Record<string, [kept: number, counted: number]>> {
  const rows = await sql<{ slug: string; kept: number; counted: number }>`select slug, thread_count as kept, (select count(*) from thread where thread.board_id = board.id) as counted from board`.execute(board.deps.db)
  return Object.fromEntries(rows.rows.map((r) => [r.slug, [Number(r.kept), Number(r.counted)]]))
}

/** The thread titles a board page lists, and the pages its pager offers. */
async function listed(c: ReturnType<typeof board.client>, path: string) {
  const page = await c.get(path)
  const items = /<ol id="threads"[^>]*>([\s\S]*?)<\/ol>/.exec(page.text)?.[1] ?? ''
  return { status: page.res.status, titles: [...items.matchAll(/>(T\d)</g)].map((m) => m[1]), start: /<ol id="threads"[^>]*start="(\d+)"/.exec(page.text)?.[1] ?? '1' }
}

describe("a board's thread count", () => {
  it('stays equal to its threads through new threads, removals, retention and the purge; ?page=N lists what is there', async () => {
    const c = board.client()
    await c.takeIdentity()
    for (const b of ['general', 'brief']) await c.get(`/c/lobby/${b}`)
    const at: Record<string, string> = {}
    for (const title of ['T1', 'T2', 'T3', 'T4', 'T5']) {
      const res = (await c.post('/c/lobby/general', { title, body: `opening of ${title}` })).res
      expect(res.status).toBe(303)
      at[title] = res.headers.get('location')!
    }
    for (const title of ['T6', 'T7']) expect((await c.post('/c/lobby/brief', { title, body: 'x' })).res.status).toBe(303)
    expect(await counts()).toEqual({ general: [5, 5], brief: [2, 2] })
    // Most recent first, two a page: T5 T4 | T3 T2 | T1; a reply to T2 brings it to the top.
    await c.get(at.T2!)
    expect((await c.post(at.T2!, { body: 'a reply' })).res.status).toBe(303)
    expect((await listed(c, '/c/lobby/general')).titles).toEqual(['T2', 'T5'])
    expect(await listed(c, '/c/lobby/general?page=2')).toEqual({ status: 200, titles: ['T4', 'T3'], start: '3' })
    expect(await listed(c, '/c/lobby/general?page=3')).toEqual({ status: 200, titles: ['T1'], start: '5' })
    const past = await c.get('/c/lobby/general?page=4')
    expect(past.res.status).toBe(404)
    // The way out names the board's real last page (the empty page's read had no row to carry it).
    expect(past.text).toContain('<a href="/c/lobby/general?page=3">Go to the last page there is (page 3)</a>')

    // Removing a thread's only post removes the thread; removing one of two posts does not.
    const number = (path: string) => Number(path.split('/').pop())
    expect((await removePost(board.deps, { cell: 'lobby', board: 'general', thread: number(at.T4!), number: 1 }))?.threadDeleted).toBe(true)
    expect((await removePost(board.deps, { cell: 'lobby', board: 'general', thread: number(at.T2!), number: 2 }))?.threadDeleted).toBe(false)
    expect(await counts()).toEqual({ general: [4, 4], brief: [2, 2] })
    // T2's activity is its opening post again: T5 T3 | T2 T1.
    expect(await listed(c, '/c/lobby/general')).toMatchObject({ status: 200, titles: ['T5', 'T3'] })
    expect(await listed(c, '/c/lobby/general?page=2')).toEqual({ status: 200, titles: ['T2', 'T1'], start: '3' })
    expect((await listed(c, '/c/lobby/general?page=3')).status).toBe(404)

    // Retention forgets both of brief's threads at once (one statement); general keeps its own.
    now += 3 * 86_400_000
    expect((await purge(board.deps)).threads).toBe(2)
    expect(await counts()).toEqual({ general: [4, 4], brief: [0, 0] })
    expect(await listed(c, '/c/lobby/brief')).toMatchObject({ status: 200, titles: [] })
    await c.takeIdentity() // the first session ended while idle
    await c.get('/c/lobby/brief')
    expect((await c.post('/c/lobby/brief', { title: 'T8', body: 'again' })).res.status).toBe(303)
    expect(await counts()).toEqual({ general: [4, 4], brief: [1, 1] })
  })
})

describe("a thread's pages", () => {
  it('page N starts at the right post when removals left gaps in the numbers; past the end, or no such thread → 404', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const thread = (await c.post('/c/lobby/general', { title: 'Paged', body: 'post one' })).res.headers.get('location')!
    await c.get(thread)
    for (const body of ['post two', 'post three', 'post four', 'post five']) expect((await c.post(thread, { body })).res.status).toBe(303)
    const shown = async (path: string) => {
      const page = await c.get(path)
      return { status: page.res.status, numbers: [...page.text.matchAll(/<article id="p(\d+)"/g)].map((m) => Number(m[1])) }
    }
    expect(await shown(`${thread}?page=3`)).toEqual({ status: 200, numbers: [5] })
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread: Number(thread.split('/').pop()), number: 2 })
    expect(await shown(thread)).toEqual({ status: 200, numbers: [1, 3] })
    expect(await shown(`${thread}?page=2`)).toEqual({ status: 200, numbers: [4, 5] })
    expect((await shown(`${thread}?page=3`)).status).toBe(404)
    expect((await shown('/c/lobby/general/t/99')).status).toBe(404)
    expect((await shown('/c/lobby/general/t/99?page=2')).status).toBe(404)
  })
})

describe('migration 2026120901_board_thread_count', () => {
  const open = migrationTest('thread-count')
  const AT = '2026-12-01T10:00:00.000Z'

  it('counts the threads boards already have, follows inserts and deletes after it, and down takes it away', async () => {
    const { db, migrator } = await open('2026120801_cell_lang')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const newBoard = async (slug: string) => (await db.insertInto('board').values({ cell_id: cell, slug, name: slug, read_tier: null, post_tier: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const [a, b, empty] = [await newBoard('a'), await newBoard('b'), await newBoard('empty')]
    let n = 0
    const threads = (boardId: number, k: number) => db.insertInto('thread').values(Array.from({ length: k }, () => ({ board_id: boardId, number: ++n, title: 'T', created_at: AT, last_post_at: AT }))).execute()
    await threads(a, 3)
    await threads(b, 1)

    expect((await migrator.migrateTo('2026120901_board_thread_count')).error).toBeUndefined()
    const kept = async () => (await db.selectFrom('board').select(['id', 'thread_count']).orderBy('id').execute()).map((r) => Number(r.thread_count))
    expect(await kept()).toEqual([3, 1, 0])
    await threads(empty, 4) // one statement of four rows
    await threads(a, 1)
    expect(await kept()).toEqual([4, 1, 4])
    await sql`delete from thread where board_id in (${a}, ${empty}) and id % 2 = 1`.execute(db) // one statement over two boards
    const real = (await sql<{ b: number; n: number }>`select board_id as b, count(*) as n from thread group by board_id`.execute(db)).rows
    const expected = [a, b, empty].map((id) => Number(real.find((r) => Number(r.b) === id)?.n ?? 0))
    expect(await kept()).toEqual(expected)
    expect(expected.reduce((x, y) => x + y)).toBeLessThan(10)
    await db.deleteFrom('board').where('id', '=', a).execute() // its threads go by the cascade; its own row is gone
    expect(await kept()).toEqual(expected.slice(1))

    expect((await migrator.migrateTo('2026120801_cell_lang')).error).toBeUndefined()
    expect(Object.keys((await db.selectFrom('board').selectAll().executeTakeFirstOrThrow()) as object)).not.toContain('thread_count')
    await threads(b, 1) // and the triggers went with it
  })
})

describe("a board's pages, each read from the nearer end of its list", () => {
  it('every page of boards of 0 to 9 threads lists exactly its slice of the whole list, in order; past the end, nothing', async () => {
    const db = board.deps.db
    const boardId = (await db.selectFrom('board').select('id').where('slug', '=', 'brief').executeTakeFirstOrThrow()).id
    const at = '2026-11-01T12:00:00.000Z'
    for (let n = 0; n <= 9; n++) {
      if (n > 0) {
        // Activity out of number order: thread n's last post id is a shuffled one, so the list's order is not the insert order.
        const t = await db.insertInto('thread').values({ board_id: boardId, number: n, title: `T${n}`, created_at: at, post_count: 1, last_number: 1, last_post_id: ((n * 7) % 11) + 100, last_post_at: at }).returning('id').executeTakeFirstOrThrow()
        expect(t.id).toBeGreaterThan(0)
      }
      const whole = (await listThreads(db, boardId, 100, 0)).threads.map((t) => t.title)
      expect(whole).toHaveLength(n)
      for (const per of [1, 2, 3, 4]) {
        for (let page = 0; page * per < n + per; page++) {
          const read = await listThreads(db, boardId, per, page * per, board.deps.storage.readRows)
          expect(read.threads.map((t) => t.title), `${n} threads, ${per} a page, page ${page + 1}`).toEqual(whole.slice(page * per, page * per + per))
          if (read.threads.length) expect(read.total).toBe(n)
        }
      }
    }
  })
})
