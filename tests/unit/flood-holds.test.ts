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
