import { createHmac, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import type { CostPurpose } from '../domain/costs.ts'

// What the costs of services/costs.ts must remember, in memory or in a Redis every node shares:
// - the secret proof-of-work challenges are signed under (any node verifies any node's), and
//   under which the answers to puzzles are kept as MACs;
// - each proof of work already spent, until its challenge expires: a solved challenge pays once;
// - each puzzle (a picture and a question) until it is answered or expires.
// Both kinds of memory are bounded, and neither forgets a live entry early: a full store refuses
// (a puzzle is not made; a proof of work waits) rather than open a replay or drop a person's puzzle.
// The memory and Redis stores are in one file: they are one aggregate, and must behave the same.

/** A puzzle as kept: the picture's text (to draw it), the MACs of both answers, and its purpose. */
export type StoredPuzzle = { purpose: CostPurpose; picture: string; pictureMac: string; answerMac: string; expiresAt: number }
export type SpendResult = 'ok' | 'used' | 'busy'

/** Keys derived from the one stored secret, each for one use. */
export type CostSecrets = { powSignature: string; powKey: string; answers: Buffer }

export interface CostStore {
  readonly secrets: CostSecrets
  /** Keep a new puzzle until it expires; its id, or null when `max` are waiting (none is pushed out). */
  keep(puzzle: StoredPuzzle): Promise<string | null>
  /** The text to draw a live puzzle's picture with, without using the puzzle up. */
  picture(id: string): Promise<string | null>
  /** Use a puzzle up, on its first attempt, right or wrong: it is gone for everyone after this. */
  take(id: string): Promise<StoredPuzzle | null>
  /** Mark a proof of work spent until its challenge expires: 'used' if it was, 'busy' if full. */
  spend(code: string, expiresAt: number): Promise<SpendResult>
  close(): void
}

/** Spent proofs of work held at most (as for login codes: about 17 MB). */
export const MAX_SPENT = 200_000

export const costSecrets = (secret: Buffer): CostSecrets => {
  const derive = (label: string) => createHmac('sha256', secret).update(`cellboard cost v1\0${label}`).digest()
  return { powSignature: derive('pow signature').toString('hex'), powKey: derive('pow key').toString('hex'), answers: derive('answers') }
}

const newId = () => randomBytes(16).toString('base64url')
export const isPuzzleId = (id: string) => /^[A-Za-z0-9_-]{22}$/.test(id)

export class MemoryCostStore implements CostStore {
  readonly secrets = costSecrets(randomBytes(32))
  readonly #puzzles = new Map<string, StoredPuzzle>()
  readonly #spent = new Map<string, number>() // code → when its challenge expires
  readonly #sweep: NodeJS.Timeout
  #lastSweep = 0

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxPuzzles = 50_000,
    private readonly maxSpent = MAX_SPENT,
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000)
    this.#sweep.unref()
  }

  /** Full: sweep what expired, at most once a second (a flood must not make each request walk the maps). */
  #full(map: Map<string, unknown>, max: number): boolean {
    if (map.size >= max && this.now() - this.#lastSweep >= 1000) this.sweep()
    return map.size >= max
  }

  async keep(puzzle: StoredPuzzle): Promise<string | null> {
    if (this.#full(this.#puzzles, this.maxPuzzles)) return null
    const id = newId()
    this.#puzzles.set(id, puzzle)
    return id
  }

  async picture(id: string): Promise<string | null> {
    const p = this.#puzzles.get(id)
    return p && this.now() <= p.expiresAt ? p.picture : null
  }

  async take(id: string): Promise<StoredPuzzle | null> {
    const p = this.#puzzles.get(id)
    this.#puzzles.delete(id)
    return p ?? null
  }

  async spend(code: string, expiresAt: number): Promise<SpendResult> {
    if (this.#spent.has(code)) return 'used'
    if (this.#full(this.#spent, this.maxSpent)) return 'busy'
    this.#spent.set(code, expiresAt)
    return 'ok'
  }

  sweep(): void {
    const now = this.now()
    this.#lastSweep = now
    for (const [id, p] of this.#puzzles) if (now > p.expiresAt) this.#puzzles.delete(id)
    for (const [code, expiresAt] of this.#spent) if (now > expiresAt) this.#spent.delete(code)
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#puzzles.clear()
    this.#spent.clear()
  }
}

// Keeping a puzzle: drop the expired from the index of live ones, refuse at the cap, else add it.
// One script, so two nodes cannot both pass the count. KEYS: the index, the puzzle.
// ARGV: now, cap, expiresAt, id, the puzzle as JSON, its time to live in ms.
const KEEP_PUZZLE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
return 1`

type KeepPuzzle = (index: string, key: string, now: number, cap: number, expiresAt: number, id: string, json: string, ttl: number) => Promise<number>

/**
 * The same in Redis: a puzzle is a key with a TTL, with a sorted set of the live ones (by expiry)
 * to count them against the cap; a spent proof of work is a key that expires with its challenge
 * (SET NX: one node wins a race). A Redis full under its maxmemory with the default noeviction
 * policy refuses writes: then no puzzle is made and proofs of work wait ('busy'), as in memory.
 */
export class RedisCostStore implements CostStore {
  readonly #keepPuzzle: KeepPuzzle
  constructor(
    private readonly redis: Redis,
    readonly secrets: CostSecrets,
    private readonly now: () => number = Date.now,
    private readonly maxPuzzles = 50_000,
  ) {
    if (!('cbKeepPuzzle' in redis)) redis.defineCommand('cbKeepPuzzle', { numberOfKeys: 2, lua: KEEP_PUZZLE })
    this.#keepPuzzle = (redis as unknown as { cbKeepPuzzle: KeepPuzzle }).cbKeepPuzzle.bind(redis)
  }
  #key = (id: string) => `cq:${id}`

  async keep(puzzle: StoredPuzzle): Promise<string | null> {
    const id = newId()
    const ttl = Math.max(1, puzzle.expiresAt - this.now())
    try {
      const kept = await this.#keepPuzzle('cq-live', this.#key(id), this.now(), this.maxPuzzles, puzzle.expiresAt, id, JSON.stringify(puzzle), ttl)
      return kept === 1 ? id : null
    } catch (e) {
      if (/^OOM/.test((e as Error).message)) return null
      throw e
    }
  }

  async picture(id: string): Promise<string | null> {
    const raw = await this.redis.get(this.#key(id))
    if (!raw) return null
    const p = JSON.parse(raw) as StoredPuzzle
    return this.now() <= p.expiresAt ? p.picture : null
  }

  async take(id: string): Promise<StoredPuzzle | null> {
    const [[, raw]] = (await this.redis.multi().getdel(this.#key(id)).zrem('cq-live', id).exec()) as [[null, string | null], unknown]
    return raw ? (JSON.parse(raw) as StoredPuzzle) : null
  }

  async spend(code: string, expiresAt: number): Promise<SpendResult> {
    try {
      const set = await this.redis.set(`cs:${code}`, '1', 'PX', Math.max(1, expiresAt - this.now() + 1000), 'NX')
      return set === 'OK' ? 'ok' : 'used'
    } catch (e) {
      if (/^OOM/.test((e as Error).message)) return 'busy'
      throw e
    }
  }

  close(): void {}
}

/** The cost secret, the same on every node; made by whichever node starts first. */
export async function sharedCostSecrets(redis: Redis): Promise<CostSecrets> {
  await redis.set('cost-secret', randomBytes(32).toString('base64'), 'NX')
  return costSecrets(Buffer.from((await redis.get('cost-secret'))!, 'base64'))
}

/**
 * Pictures this process may draw per second. Drawing costs CPU that anyone can ask for (the
 * picture of a live puzzle can be fetched again and again): past the budget the picture is
 * refused, and the question beside it still works. Per process, not shared: it guards this CPU.
 */
export class DrawBudget {
  readonly #limiter: RateLimiterMemory
  constructor(perSecond: number) {
    this.#limiter = new RateLimiterMemory({ points: perSecond, duration: 1 })
  }
  /** True if one more picture may be drawn now. */
  async take(): Promise<boolean> {
    return this.#limiter.consume('draw').then(() => true, () => false)
  }
}
