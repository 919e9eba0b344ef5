import { Redis } from 'ioredis'
import { MemoryChallengeStore, type ChallengeStore } from './challenges.ts'
import { MemoryCostStore, RedisCostStore, sharedCostSecrets, type CostStore } from './costs.ts'
import { CsrfTokens } from './csrf.ts'
import { MemoryFloodHolds, RedisFloodHolds, type FloodHolds } from './flood.ts'
import { FlexibleRateLimiter, type RateLimiter } from './rate-limits.ts'
import { assertNotPersistent, RedisChallengeStore, RedisSessionStore, RedisSubmissionStore, sharedChallengeSecret, sharedCsrfSecret } from './redis.ts'
import { MemorySessionStore, type SessionStore } from './sessions.ts'
import { MemorySubmissionStore, type SubmissionStore } from './submissions.ts'

export type Ephemeral = { sessions: SessionStore; challenges: ChallengeStore; rateLimits: RateLimiter; csrf: CsrfTokens; submissions: SubmissionStore; costs: CostStore; floodHolds: FloodHolds; close(): Promise<void> }

/**
 * Ephemeral state: in this process's memory, or — when several nodes share it — in a Redis that
 * keeps nothing on disk. Never in SQL.
 */
export async function openEphemeral(opts: { redisUrl: string | null; allowPersistence: boolean; sessionIdleMs: number; maxSessions?: number; now?: () => number; keyPrefix?: string }): Promise<Ephemeral> {
  const now = opts.now ?? Date.now
  if (!opts.redisUrl) {
    const sessions = new MemorySessionStore(opts.sessionIdleMs, now, opts.maxSessions)
    const challenges = new MemoryChallengeStore(now)
    const rateLimits = new FlexibleRateLimiter()
    const submissions = new MemorySubmissionStore(now)
    const costs = new MemoryCostStore(now)
    const floodHolds = new MemoryFloodHolds(now)
    return {
      sessions,
      challenges,
      rateLimits,
      csrf: new CsrfTokens(),
      submissions,
      costs,
      floodHolds,
      async close() {
        costs.close()
        floodHolds.close()
        sessions.close()
        challenges.close()
        rateLimits.close()
        submissions.close()
      },
    }
  }
  // Commands sent in the same turn of the event loop (several requests' sessions, claims and
  // answers) go to Redis in one write (ioredis auto-pipelining): each write on loopback wakes Redis
  // and then this process, and on 2 cores those wake-ups were a fifth of a PostgreSQL node's
  // posting CPU (BENCHMARKS.md). The rate limits' Lua command (rate-limiter-flexible's rlflxIncr,
  // defined on the client when a limiter is made) goes alone: pipelined, a limiter made after a
  // pipeline was begun crashes the process (ioredis#1931).
  const redis = new Redis(opts.redisUrl, { keyPrefix: opts.keyPrefix ?? 'cellboard:', lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['rlflxIncr'] })
  redis.on('error', () => {}) // reported by the failing command instead
  try {
    await redis.connect()
  } catch (e) {
    redis.disconnect()
    throw new Error(`cannot reach Redis at REDIS_URL: ${(e as Error).message}`)
  }
  await assertNotPersistent(redis, opts.allowPersistence)
  // A subscribed connection can do nothing else: a second one hears other nodes end sessions.
  const subscriber = redis.duplicate()
  subscriber.on('error', () => {})
  const sessions = new RedisSessionStore(redis, opts.sessionIdleMs, now, subscriber, opts.maxSessions)
  await sessions.listen()
  return {
    sessions,
    challenges: new RedisChallengeStore(redis, await sharedChallengeSecret(redis), now),
    rateLimits: new FlexibleRateLimiter(redis),
    csrf: new CsrfTokens(await sharedCsrfSecret(redis)),
    submissions: new RedisSubmissionStore(redis),
    costs: new RedisCostStore(redis, await sharedCostSecrets(redis), now),
    floodHolds: new RedisFloodHolds(redis, now),
    async close() {
      await sessions.close()
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
