import { ballotsOf, countBallots, eligibleKeyId, eligibleVoters } from '../../db/ballots.ts'
import { operatorActions } from '../../db/decision-log.ts'
import { fraternalCells } from '../../db/fraternal-cells.ts'
import { lineHistory } from '../../db/lines.ts'
import { closedQuestions, countOpenFor, findQuestion, openQuestions, openQuestionsFor } from '../../db/questions.ts'
import type { Board, Cell, Question } from '../../db/schema.ts'
import { DomainError, notFound } from '../../domain/errors.ts'
import type { Session } from '../../ephemeral/sessions.ts'
import type { Deps } from '../deps.ts'
import { canRead, findCellOrThrow } from '../reading.ts'
import { closeDueQuestions } from './decide.ts'
import { kindOf, labelOf, payloadOf, type Shown, type ShownPayload } from './kinds.ts'

// Reading questions: the queue, one question or its decision, the tally bundle, the decision log,
// a voter's own open questions. Every read first closes what is past its deadline.

/** Whether this viewer may read a board, asked once per board however many questions name it. */
function boardReader(deps: Deps, session: Session | null) {
  const seen = new Map<number, Promise<boolean>>()
  return (board: Board) => {
    let may = seen.get(board.id)
    if (!may) seen.set(board.id, (may = canRead(deps, board, session)))
    return may
  }
}
type Reads = ReturnType<typeof boardReader>

/** What of a question this viewer may see: everything, unless its kind says otherwise. */
async function showQuestion(deps: Deps, q: Question, reads: Reads): Promise<Shown<ShownPayload>> {
  const payload = payloadOf(q)
  const entry = kindOf(payload.kind)
  return entry.show ? entry.show({ deps, question: q, reads }, payload) : { payload, argument: true, post: null }
}

/** What it was about, in a few words: as much as this viewer may see. */
function summaryOf(shown: ShownPayload): string {
  if ('withheld' in shown) return 'principle' in shown ? `${shown.withheld}, under principle ${shown.principle}` : shown.withheld
  return kindOf(shown.kind).summary(shown)
}

async function viewOf(deps: Deps, q: Question, reads: Reads) {
  const shown = await showQuestion(deps, q, reads)
  return {
    number: q.number,
    kind: q.kind,
    label: kindOf(shown.payload.kind).label,
    argument: shown.argument ? q.argument : null,
    line_version: q.line_version,
    eligible: q.eligible,
    quorum: q.quorum,
    threshold: q.threshold,
    opened_at: q.opened_at,
    deadline: q.deadline,
    status: q.status,
    outcome: q.outcome,
    payload: shown.payload,
    post: shown.post,
  }
}

async function itemOf(deps: Deps, cell: Cell, q: Question, session: Session | null, reads: Reads) {
  const [view, ballots, keyId] = await Promise.all([viewOf(deps, q, reads), countBallots(deps.db, q.id), session ? eligibleKeyId(deps.db, q.id, session.fingerprint) : null])
  return { q: view, ballots, canVote: q.status === 'open' && keyId !== null, place: { site: deps.config.siteId, cell: cell.slug, question: q.number, line: q.line_version } }
}

export async function readQueue(deps: Deps, cellSlug: string, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const reads = boardReader(deps, session)
  const items = await Promise.all((await openQuestions(deps.db, cell.id)).map((q) => itemOf(deps, cell, q, session, reads)))
  return { cell, items }
}

export async function readQuestion(deps: Deps, cellSlug: string, number: number, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const q = await findQuestion(deps.db, cell.id, number)
  if (!q) throw notFound('That question')
  const item = await itemOf(deps, cell, q, session, boardReader(deps, session))
  // An adopted amendment made a line version, unless what it named had already changed (amendedPrinciples).
  const lineVersion = q.kind === 'amend_line' && q.outcome === 'adopted' ? ((await lineHistory(deps.db, cell.id)).find((l) => l.question_id === q.id)?.version ?? null) : null
  const decision = q.status === 'closed' ? { yes: q.yes ?? 0, no: q.no ?? 0, abstain: q.abstain ?? 0, closedAt: q.closed_at!, ballots: await ballotsOf(deps.db, q.id), lineVersion } : null
  return { cell, item, decision }
}

/** Everything needed to recheck a closed question offline: `npm run cellboard -- verify-tally FILE`. */
export async function tallyBundle(deps: Deps, cellSlug: string, number: number, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const q = await findQuestion(deps.db, cell.id, number)
  if (!q) throw notFound('That question')
  if (q.status !== 'closed') throw new DomainError(409, 'The ballots are published when the question closes.')
  const [voters, ballots, shown] = await Promise.all([eligibleVoters(deps.db, q.id), ballotsOf(deps.db, q.id), showQuestion(deps, q, boardReader(deps, session))])
  const { armored: _a, ...payload } = shown.payload as ShownPayload & { armored?: string }
  return {
    format: 'cellboard-tally-v1',
    site: deps.config.siteId,
    cell: cell.slug,
    question: {
      number: q.number,
      kind: q.kind,
      lineVersion: q.line_version,
      payload,
      argument: shown.argument ? q.argument : null,
      eligible: q.eligible,
      quorum: q.quorum,
      threshold: q.threshold,
      openedAt: q.opened_at,
      deadline: q.deadline,
      closedAt: q.closed_at,
      outcome: q.outcome,
      tally: { yes: q.yes, no: q.no, abstain: q.abstain },
    },
    eligible: voters.map((v) => ({ fingerprint: v.fingerprint, publicKey: v.armored })),
    ballots: ballots.map((b) => ({ fingerprint: b.fingerprint, signing: b.signing, signedText: b.signed_text })),
  }
}

export type TallyBundle = Awaited<ReturnType<typeof tallyBundle>>

/** The cell's public decision log, newest first: decisions (with what each was about) and operator actions. */
export async function readDecisionLog(deps: Deps, cellSlug: string, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const [closed, actions, fraternal] = await Promise.all([closedQuestions(deps.db, cell.id), operatorActions(deps.db, cell.id), fraternalCells(deps.db, cell.id)])
  const reads = boardReader(deps, session)
  const outcome = { adopted: 'adopted', rejected: 'rejected', no_quorum: 'no quorum' } as const
  const decisions = await Promise.all(
    closed.map(async (q) => {
      const shown = await showQuestion(deps, q, reads)
      return { kind: 'decision' as const, number: q.number, label: kindOf(shown.payload.kind).label, about: summaryOf(shown.payload), outcome: outcome[q.outcome!], at: q.closed_at! }
    }),
  )
  // Newest first; a decision and an operator action in the same coarse hour keep their own order.
  const entries = [...decisions, ...actions.map((a) => ({ kind: 'operator' as const, action: a.action, at: a.created_at }))].sort((a, b) => b.at.localeCompare(a.at))
  return { cell, entries, fraternal }
}

export async function readMyQuestions(deps: Deps, session: Session | null) {
  if (!session) return []
  await closeDueQuestions(deps)
  return (await openQuestionsFor(deps.db, session.fingerprint)).map((r) => ({ cell: r.slug, number: r.number, label: labelOf(r.kind), deadline: r.deadline }))
}

// The count in every voter's header was a query on every page view (a tenth of a logged-in
// thread page's time, measured). Kept per key for ten seconds, per set of dependencies (a test's
// board, a server), dropped whenever a question opens or closes here; another node's change shows
// within those ten seconds.
const OPEN_COUNT_MS = 10_000
const openCounts = new WeakMap<Deps['cache'], Map<string, { n: number; at: number }>>()
const countsOf = (deps: Deps) => {
  let m = openCounts.get(deps.cache)
  if (!m) openCounts.set(deps.cache, (m = new Map()))
  return m
}
export const openCountsChanged = (deps: Deps) => countsOf(deps).clear()

export async function countMyOpenQuestions(deps: Deps, fingerprint: string): Promise<number> {
  const counts = countsOf(deps)
  const hit = counts.get(fingerprint)
  if (hit && deps.now() - hit.at < OPEN_COUNT_MS) return hit.n
  const n = await countOpenFor(deps.db, fingerprint)
  if (counts.size > 10_000) counts.clear()
  counts.set(fingerprint, { n, at: deps.now() })
  return n
}
