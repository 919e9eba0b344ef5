import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'

// How often a key did something recently, counted by rate-limiter-flexible: in this process's
// memory, or in Redis (keys with a TTL) so that every node counts the same. Nothing here knows who
// anyone is: the counters are keyed by a key's fingerprint and an action, and forget themselves
// when their window ends.

/** A limit: at most `points` of an action per window. */
export type Rule = { action: string; points: number; windowMs: number }

export interface RateLimiter {
  /** Count one (or `count`); null when it was allowed, else how many ms until one would be. */
  take(rule: Rule, key: string, count?: number): Promise<number | null>
  /** Count `count` (one step of the store's, however many count at once) and answer how many the window holds now, this one's included: over the points too. */
  count(rule: Rule, key: string, count?: number): Promise<number>
  /** Give one back (what was counted was refused for another reason, so it did not happen). */
  giveBack(rule: Rule, key: string): Promise<void>
  /** How many were counted in the window so far; nothing is counted by asking. */
  used(rule: Rule, key: string): Promise<number>
  close(): void
}

export class FlexibleRateLimiter implements RateLimiter {
  readonly #limiters = new Map<string, RateLimiterAbstract>()
  /** `redis`: counters shared by every node; without it, in this process's memory. */
  constructor(private readonly redis: Redis | null = null) {}

  #limiter(rule: Rule): RateLimiterAbstract {
    const id = `${rule.action}:${rule.points}:${rule.windowMs}`
    let limiter = this.#limiters.get(id)
    if (!limiter) {
      const opts = { keyPrefix: `limit:${id}`, points: rule.points, duration: Math.ceil(rule.windowMs / 1000) }
      limiter = this.redis ? new RateLimiterRedis({ ...opts, storeClient: this.redis }) : new RateLimiterMemory(opts)
      this.#limiters.set(id, limiter)
    }
    return limiter
  }

  async take(rule: Rule, key: string, count = 1): Promise<number | null> {
    try {
      await this.#limiter(rule).consume(key, count)
      return null
    } catch (e) {
      // Refused: the library rejects with how long until a point is back. Anything else is a bug.
      if (e instanceof RateLimiterRes) return Math.max(1000, e.msBeforeNext)
      throw e
    }
  }

  async count(rule: Rule, key: string, count = 1): Promise<number> {
    try {
      return (await this.#limiter(rule).consume(key, count)).consumedPoints
    } catch (e) {
      // Past the points the library rejects, having counted it all the same.
      if (e instanceof RateLimiterRes) return e.consumedPoints
      throw e
    }
  }

  async giveBack(rule: Rule, key: string): Promise<void> {
    await this.#limiter(rule).reward(key)
  }

  async used(rule: Rule, key: string): Promise<number> {
    return (await this.#limiter(rule).get(key))?.consumedPoints ?? 0
  }

  close(): void {
    this.#limiters.clear()
  }
}
