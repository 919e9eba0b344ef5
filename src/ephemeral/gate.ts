/**
 * Work this process takes `atOnce` at a time, with at most `waiting` more queued (first come,
 * first served); past that, `run` refuses at once (null) rather than queue without end. It counts
 * work, not askers: nothing about who asked is read or kept. In memory, per process, like the
 * pictures a process may draw (costs.ts' Budget): what it guards (this node's reader) is the
 * process's own.
 *
 * A place is held `deadlineMs` at most: work that has not ended by then (a connection gone silent
 * under a query, which TCP may take a quarter of an hour to notice) fails with GateDeadline and its
 * place goes to the next, so one stuck search cannot refuse every search after it.
 *
 * Written here rather than taken from a library: rate-limiter-flexible (already a dependency)
 * counts requests in a time window, where this bounds the work in progress and its time; p-limit
 * could be asked its counts before each call, but has no deadline.
 */
export class Gate {
  #running = 0
  readonly #queue: (() => void)[] = []

  constructor(
    readonly atOnce: number,
    readonly waiting: number,
    readonly deadlineMs: number,
  ) {}

  /** How many run and how many wait, now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#queue.length }
  }

  /**
   * `work`'s answer, or null: refused (as many are running and waiting as may), or `gone` aborted
   * (the asker hung up) before its turn came, when it leaves the queue and its place in it.
   */
  async run<T>(work: () => Promise<T>, gone?: AbortSignal): Promise<{ value: T } | null> {
    if (gone?.aborted) return null
    if (this.#running >= this.atOnce) {
      if (this.#queue.length >= this.waiting) return null
      // Its place is handed over by the one that ends (running stays counted).
      const turn = await new Promise<boolean>((go) => {
        const left = () => {
          this.#queue.splice(this.#queue.indexOf(mine), 1)
          go(false)
        }
        const mine = () => {
          gone?.removeEventListener('abort', left)
          go(true)
        }
        this.#queue.push(mine)
        gone?.addEventListener('abort', left, { once: true })
      })
      if (!turn) return null
    } else this.#running++
    let timer: NodeJS.Timeout | undefined
    try {
      const late = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new GateDeadline(this.deadlineMs)), this.deadlineMs)))
      return { value: await Promise.race([work(), late]) }
    } finally {
      clearTimeout(timer)
      const next = this.#queue.shift()
      if (next) next()
      else this.#running--
    }
  }
}

/** Work that held its place past the gate's deadline (it may still be running; its answer is dropped). */
export class GateDeadline extends Error {
  constructor(ms: number) {
    super(`work took longer than ${ms} ms; its place was given to the next`)
  }
}
