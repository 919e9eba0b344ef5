import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisSessionStore } from '../../src/ephemeral/redis.ts'
import { dropRedisPrefix, TEST_REDIS_URL } from '../support/app.ts'

// A session in Redis is written back when it is used, so that it falls idle only after its last
// use; but not on every request (src/ephemeral/redis.ts): at most once a minute, or once a tenth
// of the idle time when that is shorter. Counted with Redis's own command statistics.
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
  const watcher = new Redis(TEST_REDIS_URL)
  clients.push(redis, watcher)
  // Writes of this store's session record: SETs on its key, seen by MONITOR.
  const seen: string[] = []
  const monitor = await watcher.monitor()
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase() === 'set' && args[1]?.startsWith(`${keyPrefix}s:`)) seen.push(args[1])
  })
  const settle = async () => {
    await redis.ping()
    await new Promise((r) => setTimeout(r, 100))
  }
  return { sessions: new RedisSessionStore(redis, idleMs, now), writes: async () => (await settle(), seen.length) }
}

const data = { kind: 'gpg' as const, fingerprint: 'f'.repeat(40), armoredPublic: 'x', armoredPrivate: null }

describe('a Redis session in use', () => {
  it('is not written back when used again within a minute; is after; and still falls idle from its last write', async () => {
    let now = 1_000_000
    const { sessions, writes } = await store(12 * 3600_000, () => now)
    const s = await sessions.create(data)
    expect(await writes()).toBe(1) // made
    for (let i = 0; i < 5; i++) {
      now += 10_000
      expect((await sessions.get(s.id))?.id).toBe(s.id)
    }
    expect(await writes()).toBe(1) // 50 s of use: not written again
    now += 10_000
    expect((await sessions.get(s.id))?.id).toBe(s.id)
    expect(await writes()).toBe(2) // a minute after the last write: written
    // Idle from that write: 12 h later, gone.
    now += 12 * 3600_000 + 1
    expect(await sessions.get(s.id)).toBeNull()
  })

  it('with a short idle time, written at a tenth of it, so it never ends while in use', async () => {
    let now = 1_000_000
    const { sessions, writes } = await store(1000, () => now)
    const s = await sessions.create(data)
    for (let i = 0; i < 20; i++) {
      now += 150 // each use 150 ms after the last: past a tenth (100 ms), so written each time
      expect((await sessions.get(s.id))?.id, `use ${i + 1}`).toBe(s.id)
    }
    expect(await writes()).toBe(21)
  })
})
