import type { Config } from '../config.ts'
import type { Db } from '../db/connect.ts'
import type { Storage } from '../db/storage.ts'
import type { CsrfTokens } from '../ephemeral/csrf.ts'
import type { ChallengeStore } from '../ephemeral/challenges.ts'
import type { Budget, CostStore } from '../ephemeral/costs.ts'
import type { FloodHolds } from '../ephemeral/flood.ts'
import type { Gate } from '../ephemeral/gate.ts'
import type { PuzzleMaker } from '../domain/costs.ts'
import type { RateLimiter } from '../ephemeral/rate-limits.ts'
import type { SessionStore } from '../ephemeral/sessions.ts'
import type { SubmissionStore } from '../ephemeral/submissions.ts'
import type { PageCache } from './page-cache.ts'

/** Everything a use case may touch. src/compose.ts builds it for the server, the CLI, the tests and the benchmarks. */
export type Deps = {
  db: Db
  /** The same database, with what differs between dialects (forgetting, change notices, search). */
  storage: Pick<Storage, 'dialect' | 'finishForgetting' | 'searchPosts' | 'notice' | 'commitTogether' | 'appendReply' | 'readRows'>
  config: Config
  sessions: SessionStore
  challenges: ChallengeStore
  rateLimits: RateLimiter
  csrf: CsrfTokens
  submissions: SubmissionStore
  /** What the costs of a new identity remember (services/costs.ts), the pictures this process may draw, and how puzzles are made. */
  costs: CostStore
  drawBudget: Budget
  /** Checks this process lets the question alone pay for, a minute (services/costs.ts). */
  questionBudget: Budget
  /** Revocations of keys never seen here this process records, a minute (services/identities.ts revokeKey). */
  revocationBudget: Budget
  puzzles: PuzzleMaker
  /** Which boards are held in flood, and until when (services/flood.ts). */
  floodHolds: FloodHolds
  cache: PageCache
  /** The searches this process runs at once and lets wait (services/search.ts). */
  searches: Gate
  now: () => number
}
