import { Socket } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard, TEST_REDIS_URL } from '../support/app.ts'

// Redis commands sent in one turn of the event loop go in one write (src/ephemeral/index.ts,
// ioredis auto-pipelining): on these 2 cores every loopback write wakes Redis and then the node,
// and that was a fifth of a PostgreSQL node's posting CPU. The rate limits' Lua command goes
// alone, because a limiter made while a pipeline is being gathered crashed the process (ioredis#1931).
const redisPort = Number(new URL(TEST_REDIS_URL).port || 6379)
let board: Awaited<ReturnType<typeof makeBoard>>
let writes = 0
const original = { write: Socket.prototype.write }
beforeEach(async () => {
  board = await makeBoard()
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    if (this.remotePort === redisPort) writes++
    return (original.write as (...a: unknown[]) => boolean).apply(this, args)
  } as typeof Socket.prototype.write
})
afterEach(async () => {
  Socket.prototype.write = original.write
  await board.close()
})

describe('Redis commands from requests served at the same time', () => {
  it('ten submissions claimed in one turn: one write to Redis, each claim answered for itself', async () => {
    await board.deps.submissions.claim('warm')
    writes = 0
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => board.deps.submissions.claim(`k${i}`)))
    expect(claims.every((c) => c.state === 'new')).toBe(true)
    expect(writes).toBe(1)
    // Claimed means claimed: the same keys again are running, not new.
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => board.deps.submissions.claim(`k${i}`)))
    expect(again.map((c) => c.state)).toEqual(Array(10).fill('running'))
  })

  it('a rate limit first used while a pipeline is being gathered: counted, and the process goes on', async () => {
    await board.deps.submissions.claim('warm')
    const fresh = { action: 'fresh-rule', points: 2, windowMs: 60_000 }
    const [claims, first, second, third] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, (_, i) => board.deps.submissions.claim(`p${i}`))),
      board.deps.rateLimits.take(fresh, 'someone'),
      board.deps.rateLimits.take(fresh, 'someone'),
      board.deps.rateLimits.take(fresh, 'someone'),
    ])
    expect(claims.every((c) => c.state === 'new')).toBe(true)
    // Two points: the third is over (a number: how long until it may try again).
    expect([first, second]).toEqual([null, null])
    expect(third).toBeGreaterThan(0)
  })
})
