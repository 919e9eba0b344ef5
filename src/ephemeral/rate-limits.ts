// How often a key did something recently: counters in memory, or in Redis with a TTL (redis.ts).
export interface RateLimiter {
  /** Count one more hit; false when the limit for the window is already reached. */
  hit(key: string, limit: number, windowMs: number): Promise<boolean>
  close(): void
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>()
  readonly #sweep: NodeJS.Timeout
  constructor(private readonly now: () => number = Date.now) {
    this.#sweep = setInterval(() => {
      const t = this.now()
      for (const [k, w] of this.#windows) if (t - w.start > 24 * 3600_000) this.#windows.delete(k)
    }, 60_000)
    this.#sweep.unref()
  }
  async hit(key: string, limit: number, windowMs: number): Promise<boolean> {
    const t = this.now()
    const w = this.#windows.get(key)
    if (!w || t - w.start >= windowMs) {
      this.#windows.set(key, { start: t, count: 1 })
      return true
    }
    if (w.count >= limit) return false
    w.count++
    return true
  }
  close(): void {
    clearInterval(this.#sweep)
    this.#windows.clear()
  }
}
