import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisSessionStore } from '../../src/ephemeral/redis.ts'
import { dropRedisPrefix, TEST_REDIS_URL } from '../support/app.ts'

// A session in Redis is written back when it is used, so that it falls idle only after its last
// use; but not on every request (src/ephemeral/redis.ts): at most once a minute, or once a tenth
// of the idle time when that is shorter. The writes of its record are counted with MONITOR on a
// connection of the test's own (only SETs on this test's key prefix).
const clients: Redis[] = []
const prefixes: string[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect()
  for (const p of prefixes.splice(0)) await dropRedisPrefix(p)
})

async function store(idleMs: number, now: () => number) {
  const keyPrefix = `cb-touch-${randomBytes(4).toString('hex')}:`
  prefixes.push(keyPrefix)
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix })
  const monitor = await new Redis(TEST_REDIS_URL).monitor()
  clients.push(redis, monitor)
  const seen: string[] = []
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase() === 'set' && args[1]?.startsWith(`${keyPrefix}s:`)) seen.push(args[1])
  })
  /** The writes seen so far, once MONITOR has shown `atLeast` of them or `ms` have passed (and 50 ms more, for any beyond). */
  const writes = async (atLeast: number, ms = 3000) => {
    const end = Date.now() + ms
    while (seen.length < atLeast && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    await new Promise((r) => setTimeout(r, 50))
    return seen.length
  }
  return { redis, sessions: new RedisSessionStore(redis, idleMs, now), writes }
}

const data = { kind: 'gpg' as const, fingerprint: 'f'.repeat(40), armoredPublic: 'x', armoredPrivate: null }

describe('a Redis session in use', () => {
  it('is not written back when used again within a minute, and is a minute after its last write', async () => {
    let now = 1_000_000
    const { sessions, writes } = await store(12 * 3600_000, () => now)
    const s = await sessions.create(data)
    expect(await writes(1)).toBe(1) // made
    for (let i = 0; i < 5; i++) {
      now += 10_000
      expect((await sessions.get(s.id))?.id).toBe(s.id)
    }
    expect(await writes(2, 500)).toBe(1) // 50 s of use: not written again
    now += 10_000
    expect((await sessions.get(s.id))?.id).toBe(s.id)
    expect(await writes(2)).toBe(2) // a minute after the last write: written
  })

  it('with a short idle time, written at a tenth of it, so it never ends while in use', async () => {
    let now = 1_000_000
    const { sessions, writes } = await store(1000, () => now)
    const s = await sessions.create(data)
    for (let i = 0; i < 20; i++) {
      now += 150 // each use 150 ms after the last: past a tenth (100 ms), so written each time
      expect((await sessions.get(s.id))?.id, `use ${i + 1}`).toBe(s.id)
    }
    expect(await writes(21)).toBe(21)
  })

  it('ended (burned) while a request is reading it, stays ended: the write-back does not bring it back', async () => {
    let now = 1_000_000
    const { redis, sessions } = await store(12 * 3600_000, () => now)
    const s = await sessions.create(data)
    now += 120_000 // due for a write-back
    // The burn lands between the request's GET and its write-back.
    const get = redis.get.bind(redis)
    redis.get = (async (key: string) => {
      const raw = await get(key)
      redis.get = get
      await new RedisSessionStore(redis, 12 * 3600_000, () => now).delete(s.id)
      return raw
    }) as typeof redis.get
    await sessions.get(s.id)
    expect(await redis.exists(`s:${s.id}`), 'the session record is back in Redis').toBe(0)
    expect(await redis.zscore('sessions-live', s.id), 'the session counts as live again').toBeNull()
    expect(await sessions.get(s.id)).toBeNull()
  })
})
