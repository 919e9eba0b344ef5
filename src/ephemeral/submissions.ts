// Submissions of forms, so that one sent twice (a double click on a slow circuit) is carried out
// once: while the first runs, the second waits; once it is done, the second gets its answer.
// Kept in memory (or in Redis, so several nodes agree), never in SQL, for ten minutes.
export const SUBMISSION_TTL_MS = 10 * 60_000
/** A claim outlives any request; if its node dies mid-request, the form may be sent again after it. */
export const RUNNING_TTL_MS = 2 * 60_000

/** What the first submission answered, to give again: a redirect, or an htmx fragment. */
export type Answer = { status: number; headers: Record<string, string>; body: string }

export type Claim = { state: 'new' } | { state: 'running' } | { state: 'done'; answer: Answer }

export interface SubmissionStore {
  /** New (the caller carries it out), running (another request is), or done (with its answer). */
  claim(key: string): Promise<Claim>
  /** The answer, kept for repeats of the same submission until it expires. */
  finish(key: string, answer: Answer): Promise<void>
  /** Nothing to repeat (it was refused, or failed): a later identical submission runs afresh. */
  release(key: string): Promise<void>
  close(): void
}

type Entry = { answer: Answer | null; expires: number; bytes: number }

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
    if (e && e.expires > this.now()) return e.answer ? { state: 'done', answer: e.answer } : { state: 'running' }
    this.#drop(key)
    this.#set(key, { answer: null, expires: this.now() + RUNNING_TTL_MS, bytes: 0 })
    return { state: 'new' }
  }

  async finish(key: string, answer: Answer): Promise<void> {
    this.#drop(key)
    this.#set(key, { answer, expires: this.now() + SUBMISSION_TTL_MS, bytes: answer.body.length * 2 + 200 })
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
