import { createHmac, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RateLimiterMemory } from 'rate-limiter-flexible'

// What the costs of services/costs.ts must remember, in memory or in a Redis every node shares:
// - the secret that proof-of-work challenges are signed under and puzzles are sealed under (any
//   node checks any node's), and under which answers are compared as MACs;
// - each proof of work and each puzzle already spent, until it expires: each pays, or is tried,
//   once. Nothing is kept when a cost is shown, so page views cannot fill anything.
// The spent sets are bounded and never forget a live entry early: full, they refuse ('busy': the
// person sends the form again later) rather than open a replay. Puzzles have a set of their own:
// one is spent by any attempt, even a wrong one, so a flood of wrong answers costs its sender
// little, and must not make proofs of work wait (in memory; in Redis, only maxmemory bounds them).
// The memory and Redis stores are in one file: they are one aggregate, and must behave the same.

export type SpendResult = 'ok' | 'used' | 'busy'
export type SpentKind = 'pow' | 'puzzle'

/** Keys derived from the one stored secret, each for one use. */
export type CostSecrets = { powSignature: string; powKey: string; answers: Buffer; puzzles: Buffer }

export interface CostStore {
  readonly secrets: CostSecrets
  /** Mark a proof of work or a puzzle spent until it expires: 'used' if it was, 'busy' if full. */
  spend(kind: SpentKind, code: string, expiresAt: number): Promise<SpendResult>
  /** Whether it was spent (and has not expired since), without marking it. */
  isSpent(kind: SpentKind, code: string): Promise<boolean>
  close(): void
}

/** Spent proofs of work held at most, and as many spent puzzles (as for login codes: about 17 MB each). */
export const MAX_SPENT = 200_000

export const costSecrets = (secret: Buffer): CostSecrets => {
  const derive = (label: string) => createHmac('sha256', secret).update(`cellboard cost v1\0${label}`).digest()
  return { powSignature: derive('pow signature').toString('hex'), powKey: derive('pow key').toString('hex'), answers: derive('answers'), puzzles: derive('puzzle seal') }
}

export class MemoryCostStore implements CostStore {
  readonly secrets = costSecrets(randomBytes(32))
  readonly #spent = { pow: new Map<string, number>(), puzzle: new Map<string, number>() } // code → when it expires
  readonly #sweep: NodeJS.Timeout
  #lastSweep = 0

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxSpent = MAX_SPENT,
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000)
    this.#sweep.unref()
  }

  async spend(kind: SpentKind, code: string, expiresAt: number): Promise<SpendResult> {
    const spent = this.#spent[kind]
    if (spent.has(code)) return 'used'
    // Full: sweep what expired, at most once a second (a flood must not make each request walk the map).
    if (spent.size >= this.maxSpent && this.now() - this.#lastSweep >= 1000) this.sweep()
    if (spent.size >= this.maxSpent) return 'busy'
    spent.set(code, expiresAt)
    return 'ok'
  }

  async isSpent(kind: SpentKind, code: string): Promise<boolean> {
    const expiresAt = this.#spent[kind].get(code)
    return expiresAt !== undefined && this.now() <= expiresAt
  }

  sweep(): void {
    const now = this.now()
    this.#lastSweep = now
    for (const spent of Object.values(this.#spent)) for (const [code, expiresAt] of spent) if (now > expiresAt) spent.delete(code)
  }

  close(): void {
    clearInterval(this.#sweep)
    for (const spent of Object.values(this.#spent)) spent.clear()
  }
}

// Where each kind of spent code is kept in Redis (a proof of work's under the name it always had).
const SPENT_KEY: Record<SpentKind, string> = { pow: 'cs:', puzzle: 'cp:' }

/**
 * The same in Redis: a spent proof of work or puzzle is a key that expires with it (SET NX: one
 * node wins a race). A Redis full under its maxmemory with the default noeviction policy refuses
 * writes: then payments wait ('busy'), as in memory.
 */
export class RedisCostStore implements CostStore {
  constructor(
    private readonly redis: Redis,
    readonly secrets: CostSecrets,
    private readonly now: () => number = Date.now,
  ) {}

  async spend(kind: SpentKind, code: string, expiresAt: number): Promise<SpendResult> {
    try {
      const set = await this.redis.set(SPENT_KEY[kind] + code, '1', 'PX', Math.max(1, expiresAt - this.now() + 1000), 'NX')
      return set === 'OK' ? 'ok' : 'used'
    } catch (e) {
      if (/^OOM/.test((e as Error).message)) return 'busy'
      throw e
    }
  }

  async isSpent(kind: SpentKind, code: string): Promise<boolean> {
    return (await this.redis.exists(SPENT_KEY[kind] + code)) === 1
  }

  close(): void {}
}

/** The cost secret, the same on every node; made by whichever node starts first. */
export async function sharedCostSecrets(redis: Redis): Promise<CostSecrets> {
  await redis.set('cost-secret', randomBytes(32).toString('base64'), 'NX')
  return costSecrets(Buffer.from((await redis.get('cost-secret'))!, 'base64'))
}

/**
 * So many of something this process allows every so many seconds; past it, none until the window
 * turns. It counts the process's own, never who asks.
 *
 * - Pictures drawn per second: drawing costs CPU that anyone can ask for (the picture of a live
 *   puzzle can be fetched again and again); past the budget the picture is refused, and the
 *   question beside it still works. Per process, not shared: it guards this CPU.
 * - Checks paid by the question alone per minute: the question is a sum in words, a regex's work
 *   for a script, so without a budget every cost it stands for cost a script nothing (an outsider's
 *   bot took 295 identities in 2.9 s). Past it the picture and the proof of work still pay. Per
 *   process: with several nodes a script gets each node's share, still a few a minute, not hundreds
 *   a second. And per purpose (identity, login, letter, post): a script spending one (which it
 *   can, for nothing) does not close the others to people who answer the question.
 */
export class Budget {
  readonly #limiter: RateLimiterMemory
  constructor(points: number, seconds: number) {
    this.#limiter = new RateLimiterMemory({ points, duration: seconds })
  }
  /** True if one more may be had now (and it is counted); `of` keeps separate counts (a budget each). */
  async take(of = 'budget'): Promise<boolean> {
    return this.#limiter.consume(of).then(() => true, () => false)
  }
}
