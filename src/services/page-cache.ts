// Pages that are the same for every viewer (a thread's posts, a board's thread list) are rendered
// once and kept as encoded bytes until a write touches them; a request then only adds its own
// small head and foot (identity, form token). Each entry carries tags ("thread:5", "board:2");
// a write invalidates by tag. Bounded: the oldest entries go first.
export type CachedPart<M> = { meta: M; bytes: Uint8Array; tags: readonly string[] }

export class PageCache {
  readonly #entries = new Map<string, CachedPart<unknown>>()
  constructor(private readonly maxEntries = 2000) {}

  get<M>(key: string): CachedPart<M> | undefined {
    return this.#entries.get(key) as CachedPart<M> | undefined
  }

  set<M>(key: string, part: CachedPart<M>): void {
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, part)
  }

  invalidate(...tags: string[]): void {
    for (const [key, part] of this.#entries) if (part.tags.some((t) => tags.includes(t))) this.#entries.delete(key)
  }

  /** A post was written to or removed from a thread: its pages and its board's pages are stale. */
  invalidateThread(threadId: number, boardId: number): void {
    this.invalidate(`thread:${threadId}`, `board:${boardId}`)
  }

  clear(): void {
    this.#entries.clear()
  }
}
