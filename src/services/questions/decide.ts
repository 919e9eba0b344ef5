import { tallyBallots } from '../../db/ballots.ts'
import { dueQuestions, findQuestion, lockOpenQuestion, recordDecision } from '../../db/questions.ts'
import type { Question } from '../../db/schema.ts'
import { outcomeOf, type Outcome } from '../../domain/questions.ts'
import { forgetSigningKey } from '../../pgp.ts'
import type { Deps } from '../deps.ts'
import { finishRemovalInServer } from '../forget.ts'
import { coarseNow, tallyOf } from './common.ts'
import { kindOf, payloadOf, type AfterDecision } from './kinds.ts'
import { openCountsChanged } from './read.ts'

/**
 * Close a question: record the tally and outcome and, if adopted, carry the decision out in the
 * same transaction (the kind's entry says how). What that leaves to do runs once it has
 * committed: a removed post leaves the files (the same tail as the operator's removal), a removed
 * key's sessions end on every node, a published thread's board shows it.
 */
export async function closeQuestion(deps: Deps, q: Question): Promise<Outcome> {
  const payload = payloadOf(q)
  let after: AfterDecision | void = undefined
  const outcome = await deps.db.transaction().execute(async (tx) => {
    if (!(await lockOpenQuestion(tx, q.id))) return null
    const counts = await tallyBallots(tx, q.id)
    const outcome = outcomeOf(tallyOf(q, counts))
    const closedAt = coarseNow(deps)
    await recordDecision(tx, q.id, { outcome, ...counts, closedAt })
    if (outcome === 'adopted') after = await kindOf(payload.kind).carryOut({ tx, question: q, closedAt, site: deps.config.siteId }, payload)
    return outcome
  })
  openCountsChanged(deps)
  // Another node or connection closed it first.
  if (outcome === null) return (await findQuestion(deps.db, q.cell_id, q.number))!.outcome!
  await carryOutAfterCommit(deps, after)
  return outcome
}

async function carryOutAfterCommit(deps: Deps, after: AfterDecision | void): Promise<void> {
  if (after?.endSessionsOf) {
    await deps.sessions.deleteByFingerprint(after.endSessionsOf)
    forgetSigningKey(after.endSessionsOf)
  }
  // The decision stands and its pages are dropped, whatever its purge does.
  if (after?.removed) await finishRemovalInServer(deps)
  if (after?.published) deps.cache.invalidateThread(after.published.threadId, after.published.boardId)
}

/** Close every open question whose deadline has passed. Runs on a timer and before voting and reading. */
export async function closeDueQuestions(deps: Deps): Promise<number> {
  const due = await dueQuestions(deps.db, new Date(deps.now()).toISOString())
  for (const q of due) await closeQuestion(deps, q)
  return due.length
}
