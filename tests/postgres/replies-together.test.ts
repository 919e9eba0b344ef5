import { CompiledQuery } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { replyWriter, type Reply } from '../../src/db/posts.ts'
import { makeBoard } from '../support/app.ts'
import { until } from '../support/until.ts'

// On PostgreSQL a node keeps one write in flight per thread, and the replies to that thread that
// arrive meanwhile go together in the next (db/posts.ts, replyWriter; migration 2026121001). Ten
// posters replying at once used to be ten statements waiting for the thread's row inside
// PostgreSQL, at twice the CPU a reply. What must hold: every reply stored once, numbered in
// order with ids rising with numbers, each poster told its own number, the thread's counters
// true, and a reply that cannot be written together written alone (or refused alone).
const texts: string[] = []
/** For each append_replies statement sent, how many replies it carried (its fingerprints). */
const batches: number[] = []
const original = pg.Client.prototype.query
beforeAll(() => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string }
    const text = typeof q === 'string' ? q : (q.text ?? '')
    texts.push(text)
    if (text.includes('from append_replies(')) {
      const params = (Array.isArray(args[1]) ? args[1] : (q as { values?: unknown[] }).values) ?? []
      batches.push((params.find(Array.isArray) as unknown[]).length)
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof pg.Client.prototype.query
})
afterAll(() => {
  pg.Client.prototype.query = original
})

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard({ ABUSE_COSTS: 'off', FLOOD_POSTS_PER_MINUTE: '100000', REPLY_LIMIT_PER_10_MINUTES: '1000', NEW_KEY_LIMIT_DIVISOR: '1' })
})
afterEach(() => board.close())

/** Counts the replies that reach the writer (deps.storage.appendReply). */
function countCalls() {
  const calls = { n: 0 }
  const storage = board.deps.storage as { appendReply: NonNullable<typeof board.deps.storage.appendReply> }
  const write = storage.appendReply
  storage.appendReply = (...args) => (calls.n++, write(...args))
  return calls
}

const rows = async <T>(query: string, ...params: unknown[]) =>
  (await board.deps.db.executeQuery<T>(CompiledQuery.raw(query, params))).rows

describe('replies to one thread at once, on PostgreSQL', () => {
  it('ten posters, three replies each, all at once while the thread is busy: two statements, each reply stored once in order, each poster told its own number', async () => {
    const opener = board.client()
    await opener.takeIdentity()
    await opener.get('/c/lobby/general')
    const thread = (await opener.post('/c/lobby/general', { title: 'Together', body: 'the first post' })).res.headers.get('location')!
    const posters = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const c = board.client()
        await c.takeIdentity()
        await c.get(thread)
        // A first reply each, one at a time, so every key has its row (a reply by a key without
        // one goes through the transaction instead).
        return c
      }),
    )
    for (const [i, c] of posters.entries()) expect((await c.post(thread, { body: `warm ${i}` })).res.status).toBe(303)

    // The thread's row held by another transaction until all thirty replies have reached the
    // writer: the first is sent alone and waits for the row, the other 29 wait in the node.
    const threadId = Number((await rows<{ id: number }>("select id from thread where title = 'Together'"))[0]!.id)
    const calls = countCalls()
    const locker = new pg.Client({ connectionString: board.deps.config.databaseUrl! })
    await locker.connect()
    await locker.query('begin')
    await locker.query('select 1 from thread where id = $1 for update', [threadId])
    batches.length = 0
    const sent = posters.flatMap((c, i) =>
      [0, 1, 2].map(async (k) => {
        const { res } = await c.post(thread, { body: `poster ${i} reply ${k}` })
        expect(res.status).toBe(303)
        return { body: `poster ${i} reply ${k}`, number: Number(/#p(\d+)$/.exec(res.headers.get('location')!)![1]) }
      }),
    )
    expect(await until(() => calls.n === 30, 30_000)).toBe(true)
    await locker.query('commit')
    await locker.end()
    const told = await Promise.all(sent)
    // 30 replies in two writes: the first alone, the 29 that waited for it together.
    expect(batches).toEqual([1, 29])

    const stored = await rows<{ id: number; number: number; body_source: string }>(
      'select p.id, p.number, p.body_source from post p join thread t on t.id = p.thread_id where t.title = $1 order by p.number',
      'Together',
    )
    expect(stored.map((p) => p.number)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1))
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.id).toBeGreaterThan(stored[i - 1]!.id)
    const byNumber = new Map(stored.map((p) => [p.number, p.body_source]))
    for (const t of told) expect(byNumber.get(t.number)).toBe(t.body)
    expect(new Set(told.map((t) => t.number)).size).toBe(30)
    const [t] = await rows<{ post_count: number; last_number: number; last_post_id: number }>('select post_count, last_number, last_post_id from thread where title = $1', 'Together')
    expect(t).toEqual({ post_count: 41, last_number: 41, last_post_id: stored.at(-1)!.id })

    // What a reader sees: the last page ends with the last post.
    const page = await opener.get(`${thread}?page=${Math.ceil(41 / board.deps.config.postsPerPage)}`)
    expect(page.text).toContain(stored.at(-1)!.body_source)
  })

  it('a batch with a key that has no row, and one that cannot be written: the others are written, those two answered alone', async () => {
    const { threadId, reply, notice } = await threadWithKey('Mixed')
    const write = replyWriter(board.deps.db)

    batches.length = 0
    // Called in one tick: the first goes alone, the rest wait for it and go together.
    const first = write(threadId, reply('one'), notice)
    const second = write(threadId, reply('two'), notice)
    const keyless = write(threadId, reply('three', { fingerprint: 'F'.repeat(40) }), notice)
    const bad = write(threadId, reply('four', { signing: 'forged' as Reply['signing'] }), notice)
    const fifth = write(threadId, reply('five'), notice)
    const answers = await Promise.allSettled([first, second, keyless, bad, fifth])

    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    const values = answers.map((a) => (a.status === 'fulfilled' ? a.value : 'refused'))
    expect(values[2]).toBeUndefined() // no key row: the caller writes key and post in a transaction
    expect(values.map((v) => (v && v !== 'refused' ? v.number : v))).toEqual([2, 3, undefined, 'refused', 4])
    // The first alone; the batch of four failed on the forged signing and was written again one by one.
    expect(batches).toEqual([1, 4, 1, 1, 1, 1])
    const stored = await rows<{ number: number; body_source: string }>('select number, body_source from post where thread_id = $1 order by number', threadId)
    expect(stored).toEqual([
      { number: 1, body_source: 'the first post' },
      { number: 2, body_source: 'one' },
      { number: 3, body_source: 'two' },
      { number: 4, body_source: 'five' },
    ])

    // A thread gone: every reply waiting for it is answered undefined (the caller's 404), nothing stored.
    await rows('delete from thread where id = $1', threadId)
    const gone = await Promise.all([write(threadId, reply('six'), notice), write(threadId, reply('seven'), notice), write(threadId, reply('eight'), notice)])
    expect(gone).toEqual([undefined, undefined, undefined])
    expect(await rows('select 1 from post where thread_id = $1', threadId)).toHaveLength(0)
  })
})

/** A thread with one post, its id and its poster's fingerprint, and replies by that key to write with replyWriter. */
async function threadWithKey(title: string) {
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  expect((await c.post('/c/lobby/general', { title, body: 'the first post' })).res.status).toBe(303)
  const [{ id, fingerprint }] = await rows<{ id: number; fingerprint: string }>(
    'select t.id, k.fingerprint from thread t join post p on p.thread_id = t.id join public_key k on k.id = p.key_id where t.title = $1',
    title,
  )
  const reply = (body: string, over: Partial<Reply> = {}): Reply => ({ fingerprint, signing: 'disposable', body_source: body, body_html: `<p>${body}</p>`, signed_text: null, created_at: '2026-12-04T22:00:00Z', ...over })
  return { threadId: id!, reply, notice: board.deps.storage.notice(['test']) }
}

async function holdRow(threadId: number) {
  const locker = new pg.Client({ connectionString: board.deps.config.databaseUrl! })
  await locker.connect()
  await locker.query('begin')
  await locker.query('select 1 from thread where id = $1 for update', [threadId])
  return { locker, release: async () => (await locker.query('commit'), await locker.end()) }
}

describe('replies to one thread from two nodes at once, on PostgreSQL', () => {
  it('two writers, each with a reply alone and two together, racing for the row: numbers 2..7, ids rising with them', async () => {
    const { threadId, reply, notice } = await threadWithKey('Two nodes')
    const [a, b] = [replyWriter(board.deps.db), replyWriter(board.deps.db)]
    const { release } = await holdRow(threadId)
    const sent = [a(threadId, reply('a1'), notice), b(threadId, reply('b1'), notice), a(threadId, reply('a2'), notice), b(threadId, reply('b2'), notice), a(threadId, reply('a3'), notice), b(threadId, reply('b3'), notice)]
    await new Promise((r) => setTimeout(r, 100))
    await release()
    const written = await Promise.all(sent)
    expect(written.map((w) => w!.number).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7])
    const stored = await rows<{ id: number; number: number }>('select id, number from post where thread_id = $1 order by number', threadId)
    expect(stored.map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7])
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.id).toBeGreaterThan(stored[i - 1]!.id)
    const [t] = await rows<{ post_count: number; last_number: number; last_post_id: number }>('select post_count, last_number, last_post_id from thread where id = $1', threadId)
    expect(t).toEqual({ post_count: 7, last_number: 7, last_post_id: stored.at(-1)!.id })
  })

  it('a batch whose answer is lost after its commit (no ERROR from PostgreSQL): every reply of it fails, none is written twice', async () => {
    const { threadId, reply, notice } = await threadWithKey('Cut off')
    // The statement runs and commits; then its answer is lost, as with a connection dropped
    // before the reply reached the node. Writing the batch again would store it twice.
    const lost = new Set<unknown>()
    const write = replyWriter(
      board.deps.db.withPlugin({
        // The batch that waited for the first reply (the one with 'two'): the first, alone, comes back.
        transformQuery: ({ node, queryId }) => (JSON.stringify(node).includes('append_replies') && JSON.stringify(node).includes('"two"') && lost.add(queryId.queryId), node),
        transformResult: async ({ result, queryId }) => {
          if (lost.has(queryId.queryId)) throw new Error('Connection terminated unexpectedly')
          return result
        },
      }),
    )
    const answers = await Promise.allSettled([write(threadId, reply('one'), notice), write(threadId, reply('two'), notice), write(threadId, reply('three'), notice)])
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect(lost.size).toBe(1)
    expect(await rows('select number, body_source from post where thread_id = $1 order by number', threadId)).toEqual([
      { number: 1, body_source: 'the first post' },
      { number: 2, body_source: 'one' },
      { number: 3, body_source: 'two' },
      { number: 4, body_source: 'three' },
    ])
  })
})
