import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { PURPOSES, type Purpose } from '../domain/challenge.ts'

// Login challenges keep nothing until they are used, so no flood of them can push an honest
// person's out (a store of 100,000 outstanding ones could be emptied by 100,000 GETs). A nonce
// is a random code, the second it was issued and an HMAC of both and its purpose under a server
// secret: in memory, or shared through Redis so that every node accepts every node's. Each is
// good once, for 10 minutes: a used code is remembered until its challenge would have expired
// anyway, never less, so a replay gets "already used" and never logs in.
export const CHALLENGE_TTL_MS = 10 * 60_000

export type ConsumeResult = 'ok' | 'unknown' | 'used' | 'expired' | 'wrong-purpose' | 'busy'

export interface ChallengeStore {
  issue(purpose: Purpose): Promise<string>
  consume(nonce: string, purpose: Purpose): Promise<ConsumeResult>
  close(): void
}

// 8 + 4 + 12 bytes: 32 characters of base64url, the length nonces always had. 64 random bits
// keep codes apart; 96 bits of HMAC make a forged nonce hopeless.
const CODE_BYTES = 8
const TIME_BYTES = 4
const MAC_BYTES = 12

/** Makes and reads stateless nonces; both kinds of store use it. */
export class ChallengeNonces {
  constructor(private readonly secret: Buffer) {}

  #mac(purpose: Purpose, body: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(`cellboard challenge v1\0${purpose}\0`).update(body).digest().subarray(0, MAC_BYTES)
  }

  mint(purpose: Purpose, at: number): string {
    const body = Buffer.alloc(CODE_BYTES + TIME_BYTES)
    randomBytes(CODE_BYTES).copy(body)
    body.writeUInt32BE(Math.floor(at / 1000), CODE_BYTES)
    return Buffer.concat([body, this.#mac(purpose, body)]).toString('base64url')
  }

  /** The code to use up and when its challenge expires, or why it cannot log in. */
  read(nonce: string, purpose: Purpose, now: number): { code: string; expiresAt: number } | 'unknown' | 'expired' | 'wrong-purpose' {
    const raw = Buffer.from(nonce, 'base64url')
    if (raw.length !== CODE_BYTES + TIME_BYTES + MAC_BYTES || raw.toString('base64url') !== nonce) return 'unknown'
    const body = raw.subarray(0, CODE_BYTES + TIME_BYTES)
    const mac = raw.subarray(CODE_BYTES + TIME_BYTES)
    if (!timingSafeEqual(mac, this.#mac(purpose, body))) {
      return PURPOSES.some((p) => p !== purpose && timingSafeEqual(mac, this.#mac(p, body))) ? 'wrong-purpose' : 'unknown'
    }
    const expiresAt = body.readUInt32BE(CODE_BYTES) * 1000 + CHALLENGE_TTL_MS
    if (now > expiresAt) return 'expired'
    return { code: body.subarray(0, CODE_BYTES).toString('base64url'), expiresAt }
  }
}

/**
 * At most this many used codes are held in memory (17 MB, measured). Filling it takes that many logins
 * within 10 minutes. Then new logins are refused ('busy') until the oldest expire: a code is
 * never forgotten early (that would let a replay in), and a challenge not yet used stays good,
 * so an honest person's signed challenge works again within minutes.
 */
export const MAX_USED_CODES = 200_000

export class MemoryChallengeStore implements ChallengeStore {
  readonly #used = new Map<string, number>() // code → when its challenge expires
  readonly #sweep: NodeJS.Timeout
  #lastSweep = 0

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxUsed = MAX_USED_CODES,
    private readonly nonces = new ChallengeNonces(randomBytes(32)),
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000)
    this.#sweep.unref()
  }

  async issue(purpose: Purpose): Promise<string> {
    return this.nonces.mint(purpose, this.now())
  }

  async consume(nonce: string, purpose: Purpose): Promise<ConsumeResult> {
    const n = this.nonces.read(nonce, purpose, this.now())
    if (typeof n === 'string') return n
    if (this.#used.has(n.code)) return 'used'
    // Full: sweep (at most once a second, so a flood cannot make every request walk the map).
    if (this.#used.size >= this.maxUsed && this.now() - this.#lastSweep >= 1000) this.sweep()
    if (this.#used.size >= this.maxUsed) return 'busy'
    this.#used.set(n.code, n.expiresAt)
    return 'ok'
  }

  sweep(): void {
    const now = this.now()
    this.#lastSweep = now
    for (const [code, expiresAt] of this.#used) if (now > expiresAt) this.#used.delete(code)
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#used.clear()
  }
}
