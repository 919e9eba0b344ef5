import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Purpose } from '../domain/challenge.ts'
import { ChallengeNonces, type ChallengeStore, type ConsumeResult } from './challenges.ts'
import { SessionsFull, type NewSession, type Session, type SessionStore } from './sessions.ts'
import { RUNNING_TTL_MS, SUBMISSION_TTL_MS, type Claim, type Sealed, type SubmissionStore } from './submissions.ts'

// Ephemeral state shared by several nodes, in a Redis that keeps nothing on disk (checked at start,
// see assertNotPersistent). Every key has a TTL; idle expiry is also checked against the clock, as
// the memory stores do, so both behave the same.

/** Refuse a Redis that writes snapshots or an append-only file: sessions hold private keys. */
export async function assertNotPersistent(redis: Redis, allow: boolean): Promise<void> {
  let save = '?'
  let appendonly = '?'
  try {
    save = ((await redis.config('GET', 'save')) as string[])[1] ?? ''
    appendonly = ((await redis.config('GET', 'appendonly')) as string[])[1] ?? ''
  } catch {
    // CONFIG may be disabled (managed Redis): then we cannot know.
  }
  if (save === '' && appendonly === 'no') return
  if (allow) return
  throw new Error(
    `Redis persists to disk (save "${save}", appendonly ${appendonly}): sessions and disposable private keys would reach disk. ` +
      'Run it with --save "" --appendonly no, or set REDIS_ALLOW_PERSISTENCE=true if you accept that.',
  )
}

/** How long a session's record in Redis may go unwritten while it is in use (see get). */
const TOUCH_MS = 60_000

/** KEYS: a key's set of sessions, the live sessions; ARGV: what a session's id is prefixed with. */
const END_BY_KEY = `
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. id)
  redis.call('ZREM', KEYS[2], id)
end
redis.call('DEL', KEYS[1])
return #ids`

export class RedisSessionStore implements SessionStore {
  readonly #ended: ((fingerprint: string) => void)[] = []
  /**
   * Every node subscribes to one channel (named with the key prefix: ioredis does not prefix
   * channels) on which a node that ends a session says whose key it held. Pub/sub keeps nothing.
   */
  readonly #channel: string
  /** What a session's id is prefixed with in Redis, prefix and all (a script names keys itself: deleteByFingerprint). */
  readonly #sessionKeys: string
  constructor(
    private readonly redis: Redis,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
    private readonly subscriber: Redis | null = null,
    private readonly maxSessions = Number.POSITIVE_INFINITY,
  ) {
    this.#channel = `${redis.options.keyPrefix ?? ''}sessions-ended`
    this.#sessionKeys = `${redis.options.keyPrefix ?? ''}${this.#key('')}`
    subscriber?.on('message', (channel: string, fingerprint: string) => {
      if (channel === this.#channel) for (const l of this.#ended) l(fingerprint)
    })
  }

  /** Subscribe before serving: a node must hear every ending from its first request on. */
  async listen(): Promise<void> {
    await this.subscriber?.subscribe(this.#channel)
  }

  async #announce(fingerprint: string): Promise<void> {
    if (this.subscriber) await this.redis.publish(this.#channel, fingerprint)
    else for (const l of this.#ended) l(fingerprint)
  }

  onEnded(listener: (fingerprint: string) => void): void {
    this.#ended.push(listener)
  }
  #key = (id: string) => `s:${id}`
  #byKey = (fpr: string) => `f:${fpr}`
  /** Every live session by when it was last used (the cap counts them; entries past idle are swept). */
  #live = 'sessions-live'

  async create(data: NewSession, opts: { pastCap?: boolean } = {}): Promise<Session> {
    // Counted across every node; a few over the cap in a race is no matter, evicting one would be.
    const [, [, live]] = (await this.redis.multi().zremrangebyscore(this.#live, '-inf', this.now() - this.idleMs).zcard(this.#live).exec()) as [unknown, [null, number]]
    if (!opts.pastCap && live >= this.maxSessions) throw new SessionsFull()
    const session: Session = { ...data, id: randomBytes(32).toString('base64url'), lastSeen: this.now(), startedAt: this.now(), privateKeyDownloaded: false }
    await this.redis
      .multi()
      .set(this.#key(session.id), JSON.stringify(session), 'PX', this.idleMs)
      .sadd(this.#byKey(session.fingerprint), session.id)
      .pexpire(this.#byKey(session.fingerprint), this.idleMs)
      .zadd(this.#live, session.lastSeen, session.id)
      .exec()
    return session
  }

  async get(id: string): Promise<Session | null> {
    const raw = await this.redis.get(this.#key(id))
    if (!raw) return null
    const s = JSON.parse(raw) as Session
    if (this.now() - s.lastSeen > this.idleMs) {
      await this.delete(id)
      return null
    }
    // Written back only when it was last written a while ago (a minute, or a tenth of the idle
    // time if that is shorter): a session used again at once would otherwise send its whole
    // record, private key and all, back to Redis on every request (a round trip of five commands
    // and 2.2 KB per post, measured: issue 15). So a session falls idle at most that much sooner
    // than its last use says, never later.
    if (this.now() - s.lastSeen < Math.min(TOUCH_MS, this.idleMs / 10)) return s
    s.lastSeen = this.now()
    // XX: only while it is still there. A session ended (burned) between the GET above and this
    // write stays ended, rather than coming back, private key and all, for another idle period.
    const [[, written] = []] = (await this.redis.multi().set(this.#key(id), JSON.stringify(s), 'PX', this.idleMs, 'XX').pexpire(this.#byKey(s.fingerprint), this.idleMs).zadd(this.#live, 'XX', s.lastSeen, id).exec()) ?? []
    return written === 'OK' ? s : null
  }

  async markPrivateKeyDownloaded(id: string, at: number): Promise<void> {
    const raw = await this.redis.get(this.#key(id))
    const s = raw ? (JSON.parse(raw) as Session) : null
    if (s && !s.privateKeyDownloaded) await this.redis.set(this.#key(id), JSON.stringify({ ...s, privateKeyDownloaded: true, privateKeyDownloadedAt: at }), 'KEEPTTL', 'XX')
  }

  async delete(id: string): Promise<void> {
    const raw = await this.redis.get(this.#key(id))
    await this.redis.multi().del(this.#key(id)).zrem(this.#live, id).exec()
    if (!raw) return
    const { fingerprint } = JSON.parse(raw) as Session
    await this.redis.srem(this.#byKey(fingerprint), id)
    await this.#announce(fingerprint)
  }

  /**
   * In one step of Redis's (a script): read as three commands, a login on another node between the
   * read of the key's set and the set's deletion made a session this ending did not see and then
   * lost it from the set, so no later ending found it (tests/postgres/sessions-ended.test.ts).
   * Now a login lands before (and is ended) or after (and is in the set for the next ending).
   */
  async deleteByFingerprint(fingerprint: string): Promise<number> {
    const ended = (await this.redis.eval(END_BY_KEY, 2, this.#byKey(fingerprint), this.#live, this.#sessionKeys)) as number
    await this.#announce(fingerprint)
    return ended
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect())
  }
}

/**
 * Challenges as in the memory store (stateless nonces under a secret every node shares); the used
 * codes are Redis keys that expire with their challenge (SET NX: one node wins a race). Redis
 * bounds them by its own memory: with maxmemory and the default noeviction policy a full Redis
 * refuses the write, and logins wait ('busy'); an evicting policy could forget a used code early.
 */
export class RedisChallengeStore implements ChallengeStore {
  constructor(
    private readonly redis: Redis,
    private readonly nonces: ChallengeNonces,
    private readonly now: () => number = Date.now,
  ) {}
  async issue(purpose: Purpose): Promise<string> {
    return this.nonces.mint(purpose, this.now())
  }
  async consume(nonce: string, purpose: Purpose): Promise<ConsumeResult> {
    const n = this.nonces.read(nonce, purpose, this.now())
    if (typeof n === 'string') return n
    try {
      const set = await this.redis.set(`cu:${n.code}`, '1', 'PX', Math.max(1, n.expiresAt - this.now() + 1000), 'NX')
      return set === 'OK' ? 'ok' : 'used'
    } catch (e) {
      if (/^OOM/.test((e as Error).message)) return 'busy'
      throw e
    }
  }
  close(): void {}
}


/** Form submissions shared by nodes: a claim is an empty value (running), then the sealed answer (never empty). */
export class RedisSubmissionStore implements SubmissionStore {
  constructor(private readonly redis: Redis) {}
  // `is:`, not the `i:` of answers kept in the clear before they were sealed: nodes of both kinds
  // sharing one Redis (a rolling upgrade) never read each other's values.
  #key = (key: string) => `is:${key}`
  async claim(key: string): Promise<Claim> {
    for (;;) {
      if ((await this.redis.set(this.#key(key), '', 'PX', RUNNING_TTL_MS, 'NX')) === 'OK') return { state: 'new' }
      const v = await this.redis.get(this.#key(key))
      if (v === '') return { state: 'running' }
      if (v !== null) return { state: 'done', sealed: v }
      // It expired or was released between the two commands: claim again.
    }
  }
  async finish(key: string, sealed: Sealed): Promise<void> {
    await this.redis.set(this.#key(key), sealed, 'PX', SUBMISSION_TTL_MS)
  }
  async release(key: string): Promise<void> {
    await this.redis.del(this.#key(key))
  }
  close(): void {}
}

/** The form-token secret, the same on every node; made by whichever node starts first. */
export async function sharedCsrfSecret(redis: Redis): Promise<Buffer> {
  await redis.set('csrf-secret', randomBytes(32).toString('base64'), 'NX')
  return Buffer.from((await redis.get('csrf-secret'))!, 'base64')
}

/** The secret login challenges are made under, the same on every node; made by whichever starts first. */
export async function sharedChallengeSecret(redis: Redis): Promise<ChallengeNonces> {
  await redis.set('challenge-secret', randomBytes(32).toString('base64'), 'NX')
  return new ChallengeNonces(Buffer.from((await redis.get('challenge-secret'))!, 'base64'))
}
