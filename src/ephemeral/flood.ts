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
  /**
   * During a flood this node holds, a post's count may wait: true when it was kept here, to go
   * with the next post counted (deferred() hands them over). False: count it now.
   */
  defer(boardId: number): boolean
  /** The posts kept by defer() since the last call, now counted by the caller. */
  deferred(boardId: number): number
  close(): void
}

/** How much later a new hold must end than the one a node stored for it to be stored again. */
const STORE_AGAIN_MS = 1_000

/** Bounded by the boards that exist (only a published post starts a hold), and each entry expires. */
export class MemoryFloodHolds implements FloodHolds {
  readonly #until = new Map<number, number>()
  constructor(private readonly now: () => number = Date.now) {}

  async hold(boardId: number, until: number): Promise<boolean> {
    const running = (await this.heldUntil(boardId)) !== null
    this.#until.set(boardId, until)
    return running
  }

  /** In memory a count costs no round trip: each is counted at once. */
  defer(_boardId: number): boolean {
    return false
  }

  deferred(_boardId: number): number {
    return 0
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
  /** The last hold this node stored, per board: its end and when (bounded by the boards, as above). */
  readonly #stored = new Map<number, { until: number; at: number }>()
  /** Posts counted here, not yet in Redis, per board (defer()). */
  readonly #deferred = new Map<number, number>()
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {}
  #key = (boardId: number) => `flood:${boardId}`

  async hold(boardId: number, until: number): Promise<boolean> {
    const ms = Math.ceil(until - this.now())
    if (ms <= 0) return (await this.heldUntil(boardId)) !== null
    // During a flood every post holds the board again. A hold this node stored, still running,
    // that the new one would move by less than a second is left as it is: the board was held
    // already, and Redis is not asked (a round trip on every post of a flood: issue 15). So a
    // flood ends at most a second sooner than its last post says. Holds end only by time, so a
    // hold stored here is still there (or Redis lost it, and the post a second later stores it).
    const mine = this.#stored.get(boardId)
    if (mine !== undefined && mine.until > this.now() && until - mine.until < STORE_AGAIN_MS) return true
    // SET … GET answers the hold it replaced (Redis 6.2 and later).
    const before = await this.redis.set(this.#key(boardId), String(until), 'PX', ms, 'GET')
    this.#stored.set(boardId, { until, at: this.now() })
    return Number(before) > this.now()
  }

  /**
   * While a hold this node stored less than a second ago runs, a post would only count towards
   * a hold that stands already: its count waits here for the next post counted, at most a second
   * later (on this node; a node that stops loses at most a second of counts). So a flood costs
   * about one count a second per node instead of one per post (issue 15), and the counts in
   * Redis are the same, later by up to a second.
   */
  defer(boardId: number): boolean {
    const mine = this.#stored.get(boardId)
    if (mine === undefined || mine.until <= this.now() || this.now() - mine.at >= STORE_AGAIN_MS) return false
    this.#deferred.set(boardId, (this.#deferred.get(boardId) ?? 0) + 1)
    return true
  }

  deferred(boardId: number): number {
    const n = this.#deferred.get(boardId) ?? 0
    this.#deferred.delete(boardId)
    return n
  }

  async heldUntil(boardId: number): Promise<number | null> {
    // Compared with our clock too: Redis's expiry only tidies up.
    const until = Number(await this.redis.get(this.#key(boardId)))
    return until > this.now() ? until : null
  }

  close(): void {
    this.#stored.clear()
    this.#deferred.clear()
  }
}
