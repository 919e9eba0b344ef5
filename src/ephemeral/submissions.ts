// Submissions of forms, so that one sent twice (a double click on a slow circuit) is carried out
// once: while the first runs, the second waits; once it is done, the second gets its answer.
// Kept in memory (or in Redis, so several nodes agree), never in SQL, for ten minutes.
export const SUBMISSION_TTL_MS = 10 * 60_000
/** A claim outlives any request; if its node dies mid-request, the form may be sent again after it. */
export const RUNNING_TTL_MS = 2 * 60_000

/** What the first submission answered, to give again: a redirect, or an htmx fragment. */
export type Answer = { status: number; headers: Record<string, string>; body: string }

/**
 * An answer as the store keeps it: sealed (http/middleware/idempotency.ts) with a key only the same
 * submission sent again can make. A fragment holds the post it published: kept in the clear, a
 * removed post's text outlived its removal here, in memory or in Redis, for the ten minutes.
 */
export type Sealed = string

export type Claim = { state: 'new' } | { state: 'running' } | { state: 'done'; sealed: Sealed }

export interface SubmissionStore {
  /** New (the caller carries it out), running (another request is), or done (with its sealed answer). */
  claim(key: string): Promise<Claim>
  /** The sealed answer, kept for repeats of the same submission until it expires. */
  finish(key: string, sealed: Sealed): Promise<void>
  /** Nothing to repeat (it was refused, or failed): a later identical submission runs afresh. */
  release(key: string): Promise<void>
  close(): void
}

type Entry = { sealed: Sealed | null; expires: number; bytes: number }

export class MemorySubmissionStore implements SubmissionStore {
  readonly #entries = new Map<string, Entry>()
  readonly #sweep: NodeJS.Timeout
  #bytes = 0

  /**
   * Bounded in entries and in the bytes of kept answers: past either, the oldest go first (a
   * flood of submissions can only cost earlier ones their repeat's answer, never add a post).
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000)
    this.#sweep.unref()
  }

  async claim(key: string): Promise<Claim> {
    const e = this.#entries.get(key)
    if (e && e.expires > this.now()) return e.sealed !== null ? { state: 'done', sealed: e.sealed } : { state: 'running' }
    this.#drop(key)
    this.#set(key, { sealed: null, expires: this.now() + RUNNING_TTL_MS, bytes: 0 })
    return { state: 'new' }
  }

  async finish(key: string, sealed: Sealed): Promise<void> {
    this.#drop(key)
    this.#set(key, { sealed, expires: this.now() + SUBMISSION_TTL_MS, bytes: sealed.length * 2 + 200 })
  }

  async release(key: string): Promise<void> {
    this.#drop(key)
  }

  get size(): number {
    return this.#entries.size
  }

  sweep(): void {
    const now = this.now()
    for (const [k, e] of this.#entries) if (e.expires <= now) this.#drop(k)
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#entries.clear()
    this.#bytes = 0
  }

  #set(key: string, e: Entry): void {
    this.#entries.set(key, e)
    this.#bytes += e.bytes
    while (this.#entries.size > this.maxEntries || (this.#bytes > this.maxBytes && this.#entries.size > 1)) this.#drop(this.#entries.keys().next().value!)
  }

  #drop(key: string): void {
    const e = this.#entries.get(key)
    if (!e) return
    this.#bytes -= e.bytes
    this.#entries.delete(key)
  }
}
