import { randomBytes } from 'node:crypto'

// Sessions live in memory only (later also in a non-persistent Redis) and expire when idle.
// A session is the only place a disposable identity's private key exists on the server.
export type KeyKind = 'disposable' | 'browser' | 'gpg'

export type Session = {
  id: string
  kind: KeyKind
  fingerprint: string
  armoredPublic: string
  /** Only for disposable identities: the server signs for the person with it. */
  armoredPrivate: string | null
  /** The private key may be downloaded once; after that it is not offered again. */
  privateKeyDownloaded: boolean
  /** When it was (ms): the same form sent again shortly after gets it again (services/identities.ts). Absent in sessions from before. */
  privateKeyDownloadedAt?: number
  lastSeen: number
  /** When the session began: a disposable key is as old as its session (its first hour is stricter). */
  startedAt: number
}

export type NewSession = Omit<Session, 'id' | 'lastSeen' | 'privateKeyDownloaded' | 'startedAt'>

/**
 * The store holds as many live sessions as it may (MAX_SESSIONS): a new one is refused, and no live
 * one is ever pushed out to make room (that would let a flood end the sessions of people already
 * holding identities).
 */
export class SessionsFull extends Error {}

export interface SessionStore {
  /**
   * A new session; SessionsFull at the cap, unless `pastCap` (a roster key's login, which the
   * caller lets hold one session at most past it: services/identities.ts).
   */
  create(data: NewSession, opts?: { pastCap?: boolean }): Promise<Session>
  /** The live session, its idle clock restarted; null when unknown or expired. */
  get(id: string): Promise<Session | null>
  /** The same at once, for a store that holds its sessions in this process (none for Redis). */
  readonly getNow?: (id: string) => Session | null
  /** The private key was downloaded at `at`: the first time counts, later ones leave it as it was. */
  markPrivateKeyDownloaded(id: string, at: number): Promise<void>
  delete(id: string): Promise<void>
  /** Ends every session of one key (revocation, roster removal). */
  deleteByFingerprint(fingerprint: string): Promise<number>
  /**
   * Told when a session ends here or on any other node (burned, revoked, removed, idle), with its
   * key's fingerprint, so each node can drop what it derived from it (a parsed private key).
   */
  onEnded(listener: (fingerprint: string) => void): void
  close(): void | Promise<void>
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>()
  readonly #sweep: NodeJS.Timeout
  readonly #ended: ((fingerprint: string) => void)[] = []

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxSessions = Number.POSITIVE_INFINITY,
  ) {
    this.#sweep = setInterval(() => this.sweep(), Math.min(idleMs, 60_000))
    this.#sweep.unref()
  }

  async create(data: NewSession, opts: { pastCap?: boolean } = {}): Promise<Session> {
    if (!opts.pastCap && this.#sessions.size >= this.maxSessions) {
      this.sweep() // the idle ones first, if any are due
      if (this.#sessions.size >= this.maxSessions) throw new SessionsFull()
    }
    const session: Session = { ...data, id: randomBytes(32).toString('base64url'), lastSeen: this.now(), startedAt: this.now(), privateKeyDownloaded: false }
    this.#sessions.set(session.id, session)
    return { ...session }
  }

  async get(id: string): Promise<Session | null> {
    return this.getNow(id)
  }

  readonly getNow = (id: string): Session | null => {
    const s = this.#sessions.get(id)
    if (!s) return null
    if (this.now() - s.lastSeen > this.idleMs) {
      this.#end(id, s)
      return null
    }
    s.lastSeen = this.now()
    return { ...s }
  }

  async markPrivateKeyDownloaded(id: string, at: number): Promise<void> {
    const s = this.#sessions.get(id)
    if (!s || s.privateKeyDownloaded) return
    s.privateKeyDownloaded = true
    s.privateKeyDownloadedAt = at
  }

  async delete(id: string): Promise<void> {
    const s = this.#sessions.get(id)
    if (s) this.#end(id, s)
  }

  async deleteByFingerprint(fingerprint: string): Promise<number> {
    let n = 0
    for (const [id, s] of this.#sessions) if (s.fingerprint === fingerprint) this.#end(id, s), n++
    return n
  }

  onEnded(listener: (fingerprint: string) => void): void {
    this.#ended.push(listener)
  }

  sweep(): void {
    const now = this.now()
    for (const [id, s] of this.#sessions) if (now - s.lastSeen > this.idleMs) this.#end(id, s)
  }

  #end(id: string, s: Session): void {
    this.#sessions.delete(id)
    for (const l of this.#ended) l(s.fingerprint)
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#sessions.clear()
  }
}
