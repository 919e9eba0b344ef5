import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryFloodHolds, RedisFloodHolds, type FloodHolds } from '../../src/ephemeral/flood.ts'
import { dropRedisPrefix, TEST_REDIS_URL } from '../support/app.ts'

// A board's flood hold (services/flood.ts) answers whether one was running: only the post that
// begins a hold changes every page of the board (and is told to every node).
const prefix = `cbtest:${randomBytes(6).toString('hex')}:`
const redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix, lazyConnect: true })
afterAll(async () => {
  redis.disconnect()
  await dropRedisPrefix(prefix)
})

let clock = Date.UTC(2026, 11, 3, 12, 0, 0)
const now = () => clock
const kinds: [string, () => FloodHolds][] = [
  ['in memory', () => new MemoryFloodHolds(now)],
  ['in Redis', () => new RedisFloodHolds(redis, now)],
]

describe.each(kinds)('flood holds %s', (_, make) => {
  it('say whether a hold was running when a new one is set, and end by themselves', async () => {
    const holds = make()
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    expect(await holds.heldUntil(board)).toBeNull()
    expect(await holds.hold(board, clock + 60_000)).toBe(false)
    expect(await holds.heldUntil(board)).toBe(clock + 60_000)
    clock += 30_000
    expect(await holds.hold(board, clock + 60_000)).toBe(true)
    expect(await holds.heldUntil(board)).toBe(clock + 60_000)
    // Another board is not held.
    expect(await holds.heldUntil(board + 1)).toBeNull()
    // Past its end (by our clock), the next hold begins anew.
    clock += 60_001
    expect(await holds.heldUntil(board)).toBeNull()
    expect(await holds.hold(board, clock + 60_000)).toBe(false)
  })
})

describe('flood holds in Redis, during a flood', () => {
  it('store a hold only when it moves the end by a second or more: a post a moment after another sends nothing', async () => {
    const [a, b] = [new RedisFloodHolds(redis, now), new RedisFloodHolds(redis, now)] // two nodes
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    const stored = async () => Number(await redis.get(`flood:${board}`))
    const first = clock + 60_000
    expect(await a.hold(board, first)).toBe(false)
    expect(await stored()).toBe(first)
    // 400 ms later on the same node: the hold was running, and Redis still holds the first end.
    clock += 400
    expect(await a.hold(board, clock + 60_000)).toBe(true)
    expect(await stored()).toBe(first)
    // Another node knows nothing of a's: it stores its own, and hears one was running.
    expect(await b.hold(board, clock + 60_000)).toBe(true)
    expect(await stored()).toBe(clock + 60_000)
    // A second after a's last store, a stores again.
    clock += 1_000
    expect(await a.hold(board, clock + 60_000)).toBe(true)
    expect(await stored()).toBe(clock + 60_000)
    // A shorter hold never shortens one this node stored a moment ago.
    expect(await a.hold(board, clock + 10_000)).toBe(true)
    expect(await stored()).toBe(clock + 60_000)
  })
})

describe('flood holds, counts kept for a moment', () => {
  it('in Redis: while a hold this node stored is under a second old, counts wait here, and are handed over once', async () => {
    const [a, b] = [new RedisFloodHolds(redis, now), new RedisFloodHolds(redis, now)]
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    expect(a.defer(board)).toBe(false) // no hold: count at once
    await a.hold(board, clock + 60_000)
    expect([a.defer(board), a.defer(board), b.defer(board)]).toEqual([true, true, false]) // b stored nothing
    clock += 999
    expect(a.defer(board)).toBe(true)
    clock += 1
    expect(a.defer(board)).toBe(false) // a second old: this post is counted, with the three kept
    expect([a.deferred(board), a.deferred(board)]).toEqual([3, 0])
  })
  it('in Redis: counts kept when no post followed within a second are not sent later (they counted towards a hold that stood)', async () => {
    const a = new RedisFloodHolds(redis, now)
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    await a.hold(board, clock + 60_000)
    for (let i = 0; i < 100; i++) expect(a.defer(board)).toBe(true)
    clock += 3_600_000 // an hour later, one post: counted alone, not with the hundred
    expect(a.defer(board)).toBe(false)
    expect(a.deferred(board)).toBe(0)
  })
  it('in Redis: a clock set back does not make an old hold look new: it is stored again, and counts are not kept', async () => {
    const a = new RedisFloodHolds(redis, now)
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    await a.hold(board, clock + 600_000)
    clock -= 3_600_000
    expect(a.defer(board)).toBe(false)
    await a.hold(board, clock + 600_000)
    expect(Number(await redis.get(`flood:${board}`))).toBe(clock + 600_000) // sent, not skipped
    clock += 3_600_000
  })
  it('in Redis: a hold shorter than two seconds is stored again after half of it, so it never runs out under a steady flood', async () => {
    const a = new RedisFloodHolds(redis, now)
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    const began: boolean[] = []
    for (let i = 0; i < 40; i++) {
      if (!a.defer(board)) began.push(!(await a.hold(board, clock + 500)))
      clock += 50
    }
    expect(began.filter(Boolean)).toHaveLength(1)
  })
  it('in memory: a count costs nothing, so none waits', async () => {
    const holds = new MemoryFloodHolds(now)
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    await holds.hold(board, clock + 60_000)
    expect([holds.defer(board), holds.deferred(board)]).toEqual([false, 0])
  })
})

describe('flood holds in Redis, read by pages', () => {
  it('ask Redis at most once a second per board, hear a flood begun elsewhere once its pages are dropped, and never show one that ended', async () => {
    const [a, b] = [new RedisFloodHolds(redis, now), new RedisFloodHolds(redis, now)] // two nodes
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    let asked = 0
    const get = redis.get.bind(redis)
    redis.get = ((...args: Parameters<typeof redis.get>) => (asked++, get(...args))) as typeof redis.get
    try {
      // b reads "no hold" once; a page built 300 ms later does not ask again.
      expect(await b.heldUntil(board)).toBeNull()
      clock += 300
      expect(await b.heldUntil(board)).toBeNull()
      expect(asked).toBe(1)
      // a begins a flood: b, before it hears, still says none (as a page built in that moment would).
      const end = clock + 60_000
      expect(await a.hold(board, end)).toBe(false)
      expect(await b.heldUntil(board)).toBeNull()
      expect(asked).toBe(1)
      // The board's pages are dropped on every node (the flood's start): b asks again and knows.
      b.forget(['thread:9', `board:${board}`])
      expect(await b.heldUntil(board)).toBe(end)
      expect(asked).toBe(2)
      // A second later it asks again (another node may have moved the end).
      clock += 999
      expect(await b.heldUntil(board)).toBe(end)
      expect(asked).toBe(2)
      clock += 1
      expect(await b.heldUntil(board)).toBe(end)
      expect(asked).toBe(3)
      // Past the end it heard, within the second, it asks rather than show a flood that may be over.
      clock = end
      await redis.del(`flood:${board}`)
      expect(await b.heldUntil(board)).toBeNull()
      expect(asked).toBe(4)
      // forget(null) (every page dropped) forgets every board.
      await a.hold(board, clock + 60_000)
      b.forget(null)
      expect(await b.heldUntil(board)).toBe(clock + 60_000)
      expect(asked).toBe(5)
    } finally {
      redis.get = get
    }
  })
})

describe('flood holds in Redis, read while a flood begins', () => {
  it('an answer Redis gave before the board was forgotten is not kept: the next page asks again', async () => {
    const [a, b] = [new RedisFloodHolds(redis, now), new RedisFloodHolds(redis, now)] // two nodes
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    const get = redis.get.bind(redis)
    /** b's next GET is answered at once and handled only once released: in between, a's flood begins and b hears of it. */
    const heldBack = async (boardId: number, meanwhile: () => Promise<unknown>) => {
      let release = () => {}
      const gate = new Promise<void>((r) => (release = r))
      redis.get = ((...args: Parameters<typeof redis.get>) => {
        redis.get = get
        return get(...args).then(async (v) => (await gate, v))
      }) as typeof redis.get
      const asked = b.heldUntil(boardId)
      await new Promise((r) => setTimeout(r, 50))
      await meanwhile()
      release()
      return asked
    }
    const end = clock + 60_000
    expect(await heldBack(board, async () => (expect(await a.hold(board, end)).toBe(false), b.forget([`board:${board}`])))).toBeNull()
    expect(await b.heldUntil(board)).toBe(end)
    // The same with every board forgotten.
    const other = board + 1
    expect(await heldBack(other, async () => (await a.hold(other, end), b.forget(null)))).toBeNull()
    expect(await b.heldUntil(other)).toBe(end)
  })
})
