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
  /**
   * These boards' pages were dropped (a flood began on some node, or their settings changed):
   * what this node last heard of their holds is asked again (tags as the page cache names them,
   * "board:N"; null: every board).
   */
  forget(tags: readonly string[] | null): void
  close(): void
}

/** How long a hold this node stored stands without being stored again, and a kept count waits (at most). */
const STORE_AGAIN_MS = 1_000
/** How long a board's hold as Redis last told it stands without asking again (heldUntil). */
const READ_AGAIN_MS = 1_000

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

  /** Nothing is heard from elsewhere: memory is asked every time. */
  forget(_tags: readonly string[] | null): void {}

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
  /** The last hold this node stored, per board: its end and when (one entry per board held, removed once it ends). */
  readonly #stored = new Map<number, { until: number; at: number }>()
  /** What Redis last said of a board's hold (null: none), and when (heldUntil). */
  readonly #read = new Map<number, { until: number | null; at: number }>()
  /** How many forget() calls there were: an answer asked for before one is not kept. */
  #forgets = 0
  /** Posts counted here, not yet in Redis, per board, and when the last was kept (defer()). */
  readonly #deferred = new Map<number, { n: number; last: number }>()
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {}
  #key = (boardId: number) => `flood:${boardId}`

  /**
   * Whether this node stored the board's hold a moment ago: less than a second (or half the hold,
   * if that is shorter, so a short hold is stored again before it ends), by a clock that has not
   * gone back since. A hold stored here is still in Redis then: holds end only by time.
   */
  #fresh(boardId: number): boolean {
    const mine = this.#stored.get(boardId)
    if (mine === undefined) return false
    const now = this.now()
    if (mine.until <= now) {
      this.#stored.delete(boardId)
      return false
    }
    const age = now - mine.at
    return age >= 0 && age < Math.min(STORE_AGAIN_MS, (mine.until - mine.at) / 2)
  }

  async hold(boardId: number, until: number): Promise<boolean> {
    const ms = Math.ceil(until - this.now())
    if (ms <= 0) return (await this.heldUntil(boardId)) !== null
    // During a flood every post holds the board again. While the hold this node stored is fresh,
    // it stands, and Redis is not asked (a round trip on every post of a flood: issue 15). So a
    // flood ends at most a second sooner than its last post says (or Redis lost the hold, and the
    // post a second later stores it again).
    if (this.#fresh(boardId)) return true
    // SET … GET answers the hold it replaced (Redis 6.2 and later).
    const before = await this.redis.set(this.#key(boardId), String(until), 'PX', ms, 'GET')
    this.#stored.set(boardId, { until, at: this.now() })
    this.#read.set(boardId, { until, at: this.now() })
    return Number(before) > this.now()
  }

  /**
   * While the hold this node stored is fresh, a post would only count towards a hold that stands:
   * its count waits here, and goes with the next post counted if that comes within a second of
   * it (in a flood, one does). Counts with no post after them within a second are dropped: they
   * counted towards a hold that stood, and sent later they would count towards another minute. So
   * a flood costs about one count a second per node instead of one per post (issue 15); a node
   * that stops, or a count that fails, loses at most a second of them.
   */
  defer(boardId: number): boolean {
    if (!this.#fresh(boardId)) return false
    this.#deferred.set(boardId, { n: (this.#deferred.get(boardId)?.n ?? 0) + 1, last: this.now() })
    return true
  }

  deferred(boardId: number): number {
    const kept = this.#deferred.get(boardId)
    if (kept === undefined) return 0
    this.#deferred.delete(boardId)
    const age = this.now() - kept.last
    return age >= 0 && age < STORE_AGAIN_MS ? kept.n : 0
  }

  /**
   * A page built afresh asks whether its board is in flood: one round trip per page missed by the
   * cache (issue 15, at 1,000,000 posts every request a miss). So Redis's answer stands here for
   * up to a second: "no hold" until the flood's start is heard (it drops the board's pages on every
   * node, and forget() with them), a hold until it ends or a second has passed (another node's
   * posts may have moved its end later). So a node learns of a hold as fast as of the pages it
   * drops, and never shows a flood that has ended.
   */
  async heldUntil(boardId: number): Promise<number | null> {
    const now = this.now()
    const seen = this.#read.get(boardId)
    if (seen !== undefined && now - seen.at >= 0 && now - seen.at < READ_AGAIN_MS && (seen.until === null || seen.until > now)) return seen.until
    // Compared with our clock too: Redis's expiry only tidies up.
    const forgets = this.#forgets
    const until = Number(await this.redis.get(this.#key(boardId)))
    const held = until > this.now() ? until : null
    // Kept unless something was forgotten while Redis answered: the answer may be from before a
    // flood began, and the next page asks again. One entry per board asked about (boards are few).
    if (this.#forgets === forgets) this.#read.set(boardId, { until: held, at: this.now() })
    return held
  }

  forget(tags: readonly string[] | null): void {
    this.#forgets++
    if (tags === null) return this.#read.clear()
    for (const tag of tags) if (tag.startsWith('board:')) this.#read.delete(Number(tag.slice('board:'.length)))
  }

  close(): void {
    this.#read.clear()
    this.#stored.clear()
    this.#deferred.clear()
  }
}
