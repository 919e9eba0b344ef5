import type { Redis } from 'ioredis'

// Which boards are held in flood (services/flood.ts), and until when: in this process's memory, or
// in a Redis every node shares, so a flood seen by one node is a flood on all. The posts per
// minute that put a board here are counted by the rate limiter (rate-limits.ts), per board, never
// per key. A hold is one number per board and ends by itself; nothing here says who posted.

export interface FloodHolds {
  /**
   * Hold the board in flood until `until` (ms since the epoch); a later hold replaces an earlier
   * one. Answers whether a hold was running already (in one step: of two nodes holding at once,
   * one hears it was).
   */
  hold(boardId: number, until: number): Promise<boolean>
  /** Until when the board is held in flood; null when it is not (or no longer). */
  heldUntil(boardId: number): Promise<number | null>
  close(): void
}

/** Bounded by the boards that exist (only a published post starts a hold), and each entry expires. */
export class MemoryFloodHolds implements FloodHolds {
  readonly #until = new Map<number, number>()
  constructor(private readonly now: () => number = Date.now) {}

  async hold(boardId: number, until: number): Promise<boolean> {
    const running = (await this.heldUntil(boardId)) !== null
    this.#until.set(boardId, until)
    return running
  }

  async heldUntil(boardId: number): Promise<number | null> {
    const until = this.#until.get(boardId)
    if (until === undefined) return null
    if (until > this.now()) return until
    this.#until.delete(boardId)
    return null
  }

  close(): void {
    this.#until.clear()
  }
}

export class RedisFloodHolds implements FloodHolds {
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {}
  #key = (boardId: number) => `flood:${boardId}`

  async hold(boardId: number, until: number): Promise<boolean> {
    const ms = Math.ceil(until - this.now())
    if (ms <= 0) return (await this.heldUntil(boardId)) !== null
    // SET … GET answers the hold it replaced (Redis 6.2 and later).
    const before = await this.redis.set(this.#key(boardId), String(until), 'PX', ms, 'GET')
    return Number(before) > this.now()
  }

  async heldUntil(boardId: number): Promise<number | null> {
    // Compared with our clock too: Redis's expiry only tidies up.
    const until = Number(await this.redis.get(this.#key(boardId)))
    return until > this.now() ? until : null
  }

  close(): void {}
}
