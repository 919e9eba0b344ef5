/**
 * Work this process takes `atOnce` at a time, with at most `waiting` more queued (first come,
 * first served); past that, `run` refuses at once (null) rather than queue without end. It counts
 * work, not askers: nothing about who asked is read or kept. In memory, per process: what it
 * guards (this node's reader) is the process's own.
 *
 * Written here rather than taken from a library: rate-limiter-flexible (already a dependency)
 * counts requests in a time window, where this bounds the work in progress, and p-limit's queue has
 * no bound to refuse past.
 */
export class Gate {
  #running = 0
  readonly #queue: (() => void)[] = []

  constructor(
    readonly atOnce: number,
    readonly waiting: number,
  ) {}

  /** How many run and how many wait, now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#queue.length }
  }

  /** `work`'s answer, or null (refused: as many are running and waiting as may). */
  async run<T>(work: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.#running >= this.atOnce) {
      if (this.#queue.length >= this.waiting) return null
      // Its place is handed over by the one that ends (running stays counted).
      await new Promise<void>((go) => this.#queue.push(go))
    } else this.#running++
    try {
      return { value: await work() }
    } finally {
      const next = this.#queue.shift()
      if (next) next()
      else this.#running--
    }
  }
}
