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
    // A shorter hold never shortens one a node stored.
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
  it('in memory: a count costs nothing, so none waits', async () => {
    const holds = new MemoryFloodHolds(now)
    const board = Number(randomBytes(3).readUIntBE(0, 3))
    await holds.hold(board, clock + 60_000)
    expect([holds.defer(board), holds.deferred(board)]).toEqual([false, 0])
  })
})
