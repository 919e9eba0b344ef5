import { lang } from '../i18n/index.ts'

// Pages that are the same for every viewer (a thread's posts, a board's thread list) are rendered
// once and kept as encoded bytes until a write touches them; a request then only adds its own
// small head and foot (identity, form token). Each entry carries tags ("thread:5", "board:2");
// a write invalidates by tag here and announces it to the other processes and nodes, which drop
// the same tags when they hear it. Bounded by entries and by bytes (PAGE_CACHE_MB): the oldest
// entries go first. In bytes because an entry's size is up to whoever posts: a thread page shows
// 200 posts of up to 20,000 characters, and `&` is five bytes as HTML, so a page may be 20 MB and
// more; 2,000 entries of such pages were gigabytes. An entry is counted by its bytes when kept, once
// however many keys hold it; a compressed copy made later is not counted (a few per cent of a page
// as people write, at most as much again). A page over half the budget is not kept: with the
// defaults none is (a 200-post page is at most 24 MB, and its middle and whole fit in 64 MB).
// A part that has no secret in it may carry its gzipped bytes too, made once (http/compression.ts),
// or twice when first made quickly (http/render.ts; an early answer may hold the quick copy until
// the part is sent again or dropped, also not counted).
// readAgain: called each time the part is sent again (a part may make better bytes once it is read twice).
export type CachedPart<M> = { meta: M; bytes: Uint8Array; gzip?: Uint8Array; readAgain?: () => void; tags: readonly string[] }

/** A cache key, made only by the builders below (never a string literal elsewhere). */
export type CacheKey = string & { readonly __cacheKey: unique symbol }
const key = (k: string) => k as CacheKey

// What is rendered is in the language of the request that rendered it (src/i18n): its key says which.
export const cacheKey = {
  /** The middle of a board's page N: its thread list and pager. */
  boardPage: (boardId: number, page: number) => key(`${lang()}:board:${boardId}:${page}`),
  /** The middle of page N of a thread (by its number on the board): its posts and pager. */
  threadPage: (boardId: number, thread: number, page: number) => key(`${lang()}:thread:${boardId}:${thread}:${page}`),
  /** A board's Atom feed, as every reader who may read the board gets it. */
  boardFeed: (boardId: number) => key(`${lang()}:feed:${boardId}`),
  /** A whole page as every reader without a session gets it (no forms, no token). */
  whole: (middle: CacheKey) => key(`${middle}:anonymous`),
  /**
   * A whole page by the address it was asked for (path and page number) and the language its
   * reader picked ('' when they picked none: the address alone then decides the language).
   */
  address: (chosenLang: string, pathAndQuery: string) => key(`address:${chosenLang}:${pathAndQuery}`),
  /**
   * A reader's own page, kept whole for a few seconds (http/middleware/whole-page-cache.ts): by a
   * hash of their session, the language they picked, the encoding and the address.
   */
  own: (session: string, chosenLang: string, encoding: 'deflate' | 'identity', pathAndQuery: string) => key(`own:${session}:${chosenLang}:${encoding}:${pathAndQuery}`),
  /** A thread's row id, by its board and its number there (neither ever changes). */
  threadId: (boardId: number, thread: number) => key(`thread-id:${boardId}:${thread}`),
  /** A cell and board as an address names them, with the access rule they carry. */
  place: (cell: string, board: string) => key(`place:${cell}/${board}`),
  /** A cell's language, by its address. */
  cellLang: (cell: string) => key(`lang-of:${cell}`),
}

/**
 * What a write makes stale (by row id). A board's settings, and its cell's, touch every page of the
 * board and the place an address names (board); a post touches its thread's pages (thread) and the
 * pages that list the board's threads or posts (listing), so it leaves the board's other threads'
 * pages and the place kept.
 */
export const cacheTag = {
  board: (boardId: number) => `board:${boardId}`,
  /** A board's list of threads: its pages and its feed (a post or a removal changes it). */
  listing: (boardId: number) => `listing:${boardId}`,
  thread: (threadId: number) => `thread:${threadId}`,
  /** A reader's own pages, by a hash of their session (dropped here when the session sends a form). */
  session: (sessionHash: string) => `session:${sessionHash}`,
  /** Every own page of a key's sessions (dropped on every node when one of them ends). */
  key: (fingerprint: string) => `key:${fingerprint}`,
  /** Every reader's own pages (dropped once a minute: a session that falls idle in Redis says nothing). */
  everyOwnPage: () => 'session:*',
}

/**
 * How many dropped tags the cache remembers (with when each was last dropped) to refuse parts read
 * before a drop. A part whose read began before the oldest drop forgotten is refused whatever its
 * tags: a read older than drops of 4,096 other tags (a busy thread's drops count once).
 */
const DROPS_REMEMBERED = 4096

/**
 * A reader's own pages' tags (a session's hash, a key's fingerprint) are remembered as one: the
 * record of drops must not keep, for as long as a quiet node goes on, which session hash and which
 * key ended side by side (a burn drops both). Own pages are kept a few seconds; one of them read
 * when any session's pages were dropped is simply built again.
 */
const OWN_DROPS = 'own pages'
const remembered = (tag: string) => (tag.startsWith(cacheTag.session('')) || tag.startsWith(cacheTag.key('')) ? OWN_DROPS : tag)

export class PageCache {
  readonly #entries = new Map<CacheKey, CachedPart<unknown>>()
  /** Each part kept: its size as counted, and under how many keys (a whole page is kept by its address too). */
  readonly #held = new Map<CachedPart<unknown>, { size: number; keys: number }>()
  readonly #maxEntries: number
  readonly #maxBytes: number
  #bytes = 0
  /**
   * A count of drops, and when (by that count) each tag was last dropped: a part is kept only if
   * none of its tags was dropped since its builder took epoch() before reading (set). Without it,
   * a page read before a write (on PostgreSQL a read is a round trip, and the write's drop, here or
   * from another node, may land meanwhile) and kept after the write's drop stayed stale until the
   * next write to its tags: on a quiet thread, days (tests/postgres/page-cache-race.test.ts).
   */
  #epoch = 0
  readonly #droppedAt = new Map<string, number>()
  /** Reads that began before this epoch are refused: everything was dropped, or the record of a drop since is gone. */
  #refusedBefore = 0
  /** Announcements begun and not yet done: a short-lived process (the CLI) awaits them before it closes the database (settled()). */
  readonly #telling = new Set<Promise<void>>()
  /** The first announcement that failed (the announcer retries before it gives up), if any. */
  #unheard: Error | undefined
  readonly #onUnheard: ((e: Error) => void) | undefined
  constructor(
    private readonly announce: (tags: string[] | null) => unknown = () => {},
    limits: { maxEntries?: number; maxBytes?: number; onUnheard?: (e: Error) => void } = {},
  ) {
    this.#onUnheard = limits.onUnheard
    this.#maxEntries = limits.maxEntries ?? 2000
    this.#maxBytes = limits.maxBytes ?? 64 * 1024 * 1024
  }

  /** The bytes of what is kept (each part's bytes as kept, once). */
  get bytes(): number {
    return this.#bytes
  }

  get<M>(key: CacheKey): CachedPart<M> | undefined {
    return this.#entries.get(key) as CachedPart<M> | undefined
  }

  /** Taken before reading what a part is built from, and given to set() with the part. */
  epoch(): number {
    return this.#epoch
  }

  /**
   * Keep `part` under `key`, unless something it shows was dropped after `since` (epoch() taken
   * before its read began): then it is stale already, and the next reader builds it again.
   * Returns whether it was kept.
   */
  set<M>(key: CacheKey, part: CachedPart<M>, since: number): boolean {
    if (this.#droppedSince(part.tags, since)) return false
    this.#delete(key)
    if (part.bytes.length > this.#maxBytes / 2) return false
    const adds = () => (this.#held.has(part) ? 0 : part.bytes.length)
    while (this.#entries.size > 0 && (this.#entries.size >= this.#maxEntries || this.#bytes + adds() > this.#maxBytes)) this.#delete(this.#entries.keys().next().value!)
    this.#entries.set(key, part)
    const held = this.#held.get(part)
    if (held) held.keys++
    else {
      this.#held.set(part, { size: part.bytes.length, keys: 1 })
      this.#bytes += part.bytes.length
    }
    return true
  }

  #droppedSince(tags: readonly string[], since: number): boolean {
    // Written so that a missing epoch (undefined, NaN) is refused rather than let through.
    if (!(since >= this.#refusedBefore)) return true
    for (const tag of tags) if ((this.#droppedAt.get(remembered(tag)) ?? 0) > since) return true
    return false
  }

  #delete(key: CacheKey): void {
    const part = this.#entries.get(key)
    if (!part) return
    this.#entries.delete(key)
    const held = this.#held.get(part)!
    if (--held.keys > 0) return
    this.#held.delete(part)
    this.#bytes -= held.size
  }

  /** A write here made these tags stale: drop them, and tell the others (a short-lived CLI awaits the telling). */
  invalidate(...tags: string[]): Promise<unknown> {
    this.drop(tags)
    return this.#tell(tags)
  }

  /** A post was written to or removed from a thread: its pages and its board's list are stale. */
  invalidateThread(threadId: number, boardId: number): void {
    void this.invalidate(cacheTag.thread(threadId), cacheTag.listing(boardId))
  }

  /** Anything may have changed (a purge, a decision): drop everything, here and elsewhere. */
  clear(): Promise<unknown> {
    this.drop(null)
    return this.#tell(null)
  }

  /**
   * Tell the other processes and nodes; never rejects (the write it follows has committed, and its
   * caller's answer stands), but a failure is remembered for settled() and reported to onUnheard.
   */
  #tell(tags: string[] | null): Promise<void> {
    // Called now, as before; a throw becomes a rejection like any other failure.
    const done = new Promise((resolve) => resolve(this.announce(tags))).then(
      () => {},
      (e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e))
        this.#unheard ??= error
        try {
          this.#onUnheard?.(error)
        } catch {
          // Saying so failed too: settled() still has it.
        }
      },
    )
    this.#telling.add(done)
    void done.finally(() => this.#telling.delete(done))
    return done
  }

  /**
   * Once every announcement begun so far is done: the first that failed, if any. The CLI awaits
   * this before it closes the database and exits, and says so when the running servers were not
   * told (they would show what the command replaced for as long as they keep the page).
   */
  async settled(): Promise<Error | undefined> {
    while (this.#telling.size > 0) await Promise.all(this.#telling)
    return this.#unheard
  }

  /** What another process announced: drop locally only. */
  drop(tags: string[] | null): void {
    const epoch = ++this.#epoch
    if (tags === null) {
      this.#refusedBefore = epoch
      this.#droppedAt.clear()
      this.#entries.clear()
      this.#held.clear()
      this.#bytes = 0
      return
    }
    for (const tag of tags.map(remembered)) {
      this.#droppedAt.delete(tag) // the Map keeps the order of last drops: the oldest first
      this.#droppedAt.set(tag, epoch)
    }
    for (const [tag, at] of this.#droppedAt) {
      if (this.#droppedAt.size <= DROPS_REMEMBERED) break
      this.#droppedAt.delete(tag)
      this.#refusedBefore = at
    }
    for (const [key, part] of this.#entries) if (part.tags.some((t) => tags.includes(t))) this.#delete(key)
  }
}
