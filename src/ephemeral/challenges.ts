import { randomBytes } from 'node:crypto'
import type { Purpose } from '../domain/challenge.ts'

// Login challenges live in memory only: a nonce, what it is for and when it was made. Each is
// good once, for 10 minutes. A used nonce is remembered until its time is up, so a replay gets
// "already used" rather than "unknown".
export const CHALLENGE_TTL_MS = 10 * 60_000

export type ConsumeResult = 'ok' | 'unknown' | 'used' | 'expired' | 'wrong-purpose'

export interface ChallengeStore {
  issue(purpose: Purpose): Promise<string>
  consume(nonce: string, purpose: Purpose): Promise<ConsumeResult>
  close(): void
}

export class MemoryChallengeStore implements ChallengeStore {
  readonly #nonces = new Map<string, { purpose: Purpose; issuedAt: number; used: boolean }>()
  readonly #sweep: NodeJS.Timeout

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxOutstanding = 100_000,
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000)
    this.#sweep.unref()
  }

  async issue(purpose: Purpose): Promise<string> {
    if (this.#nonces.size >= this.maxOutstanding) this.#nonces.delete(this.#nonces.keys().next().value!)
    const nonce = randomBytes(24).toString('base64url')
    this.#nonces.set(nonce, { purpose, issuedAt: this.now(), used: false })
    return nonce
  }

  async consume(nonce: string, purpose: Purpose): Promise<ConsumeResult> {
    const c = this.#nonces.get(nonce)
    if (!c) return 'unknown'
    if (this.now() - c.issuedAt > CHALLENGE_TTL_MS) {
      this.#nonces.delete(nonce)
      return 'expired'
    }
    if (c.used) return 'used'
    if (c.purpose !== purpose) return 'wrong-purpose'
    c.used = true
    return 'ok'
  }

  sweep(): void {
    const now = this.now()
    for (const [nonce, c] of this.#nonces) if (now - c.issuedAt > CHALLENGE_TTL_MS) this.#nonces.delete(nonce)
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#nonces.clear()
  }
}
