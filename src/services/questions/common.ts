import type { Question } from '../../db/schema.ts'
import type { Tally } from '../../domain/questions.ts'
import { coarseTime } from '../../domain/time.ts'
import type { Deps } from '../deps.ts'

// What raising, voting, deciding and reading questions share.

/** A published time: coarse (TIME_GRANULARITY_MINUTES), from the injected clock. */
export const coarseNow = (deps: Pick<Deps, 'now' | 'config'>) => coarseTime(deps.now(), deps.config.timeGranularityMs)

export const tallyOf = (q: Question, counts: { yes: number; no: number; abstain: number }): Tally => ({ ...counts, eligible: q.eligible, quorum: q.quorum, threshold: q.threshold })
