import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removePost } from '../../src/services/forget.ts'
import { makeBoard, TEST_REDIS_URL } from '../support/app.ts'
import { hiddenFields } from '../support/forms.ts'

// The attack (an outsider's report): an htmx reply's answer, the fragment with the post in it, was
// kept for ten minutes so that a double click gets it again (http/middleware/idempotency.ts); the
// post removed and purged, its text was still in the node's memory or in Redis, where a seized
// node gives it up. What is kept now is sealed with a key made from the submission itself (the
// form's fields, the text and its one-time form token among them), which nothing on the server
// keeps: only the browser that sent the form can open it, by sending the same form again.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const MARKER = 'xyzzy-plugh-sealed-answer'

/** Every value under this board's Redis prefix (PostgreSQL), as one string. */
async function redisValues(prefix: string): Promise<{ keys: number; text: string }> {
  const redis = new Redis(TEST_REDIS_URL)
  try {
    const keys = await redis.keys(`${prefix}is:*`)
    const values = await Promise.all(keys.map((k) => redis.getBuffer(k)))
    return { keys: keys.length, text: Buffer.concat(values.filter((v) => v !== null)).toString('latin1') }
  } finally {
    redis.disconnect()
  }
}

describe('an htmx reply’s kept answer', () => {
  it('holds no word of the post; the same form sent again still gets its fragment; after removal the store holds none of it either', async () => {
    const c = board.client()
    await c.takeIdentity()
    const GENERAL = '/c/lobby/general'
    const opened = await c.request(GENERAL, { method: 'POST', body: new URLSearchParams({ ...hiddenFields((await c.get(GENERAL)).text, GENERAL), title: 'A thread', body: 'first' }).toString(), headers: FORM })
    const thread = opened.headers.get('location')!
    // What finish() was given: the store's own copy (memory) or what it sends Redis (PostgreSQL).
    const kept: unknown[] = []
    const store = board.deps.submissions
    const finish = store.finish.bind(store)
    store.finish = (key, value) => (kept.push(value), finish(key, value))
    const body = new URLSearchParams({ ...hiddenFields((await c.get(thread)).text, thread), body: `a reply saying ${MARKER}` }).toString()
    const send = async () => {
      const res = await c.request(thread, { method: 'POST', body, headers: { ...FORM, 'HX-Request': 'true' } })
      return { status: res.status, text: await res.text() }
    }
    const first = await send()
    expect(first.status).toBe(200)
    // The marker was there: in the fragment the poster got, and stored as their post.
    expect(first.text).toContain(MARKER)
    expect(await board.count('post', 'where body_source like ?', `%${MARKER}%`)).toBe(1)
    // Kept, and none of it readable.
    expect(kept).toHaveLength(1)
    expect(JSON.stringify(kept)).not.toContain(MARKER)
    expect(JSON.stringify(kept)).not.toContain('<article')
    if (board.redisPrefix) {
      const inRedis = await redisValues(board.redisPrefix)
      expect(inRedis.keys).toBe(2) // the thread's start (its 303) and this reply
      expect(inRedis.text).not.toContain(MARKER)
      expect(inRedis.text).not.toContain('<article')
    }
    // The same form again (a double click): the same fragment, and no second post.
    const again = await send()
    expect(again).toEqual(first)
    expect(await board.count('post', 'where body_source like ?', `%${MARKER}%`)).toBe(1)
    // Removed: gone from the database; what the store keeps still says nothing of it.
    const number = Number((await board.column('select number from post where body_source like ?', `%${MARKER}%`))[0])
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread: Number(thread.split('/t/')[1]), number })
    expect(await board.count('post', 'where body_source like ?', `%${MARKER}%`)).toBe(0)
    if (board.redisPrefix) expect((await redisValues(board.redisPrefix)).text).not.toContain(MARKER)
  })
})
