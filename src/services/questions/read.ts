import { findBoard } from '../../db/boards.ts'
import { listPosts } from '../../db/posts.ts'
import { findThread } from '../../db/threads.ts'
import { ballotOf, ballotsOf, countBallots, eligibleKeyId, eligibleVoters } from '../../db/ballots.ts'
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
import { t } from '../../i18n/index.ts'
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
  if ('withheld' in shown) return 'principle' in shown ? t('question_kinds.summary_withheld_post', { principle: String(shown.principle) }) : t('question_kinds.summary_withheld_answer')
  return kindOf(shown.kind).summary(shown)
}

async function viewOf(deps: Deps, q: Question, reads: Reads) {
  const shown = await showQuestion(deps, q, reads)
  return {
    number: q.number,
    kind: q.kind,
    label: labelOf(shown.payload.kind),
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
  if (!q) throw notFound(t('questions.question_not_found'))
  const item = await itemOf(deps, cell, q, session, boardReader(deps, session))
  // An adopted amendment made a line version, unless what it named had already changed (amendedPrinciples).
  const lineVersion = q.kind === 'amend_line' && q.outcome === 'adopted' ? ((await lineHistory(deps.db, cell.id)).find((l) => l.question_id === q.id)?.version ?? null) : null
  const decision = q.status === 'closed' ? { yes: q.yes ?? 0, no: q.no ?? 0, abstain: q.abstain ?? 0, closedAt: q.closed_at!, ballots: await ballotsOf(deps.db, q.id), lineVersion } : null
  // While it is open, the viewer's own ballot, for them alone: the page is per session and never cached.
  const mine = q.status === 'open' && session ? ((await ballotOf(deps.db, q.id, session.fingerprint)) ?? null) : null
  return { cell, item, decision, mine }
}

/** Everything needed to recheck a closed question offline: `npm run cellboard -- verify-tally FILE`. */
export async function tallyBundle(deps: Deps, cellSlug: string, number: number, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const q = await findQuestion(deps.db, cell.id, number)
  if (!q) throw notFound(t('questions.question_not_found'))
  if (q.status !== 'closed') throw new DomainError(409, t('questions.ballots_when_closed'))
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


/** Closed questions as the log shows them to this viewer: what each was about says no more than they may see. */
function decisionsOf(deps: Deps, closed: Question[], session: Session | null) {
  const reads = boardReader(deps, session)
  return Promise.all(
    closed.map(async (q) => {
      const shown = await showQuestion(deps, q, reads)
      return { kind: 'decision' as const, number: q.number, label: labelOf(shown.payload.kind), about: summaryOf(shown.payload), outcome: t(`questions.log_outcome_${q.outcome!}`), at: q.closed_at! }
    }),
  )
}

/** The cell's decisions alone, newest first (its feed): as the log shows them to this viewer. */
export async function readDecisions(deps: Deps, cellSlug: string, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  return { cell, decisions: await decisionsOf(deps, await closedQuestions(deps.db, cell.id), session) }
}

/**
 * The answers to letters the cell decided to publish, newest first, each the thread it was
 * published as: only on boards this viewer may read, and only while that thread is there (a
 * thread removed since is forgotten here too).
 */
export async function readPublishedAnswers(deps: Deps, cellSlug: string, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const reads = boardReader(deps, session)
  const adopted = (await closedQuestions(deps.db, cell.id)).filter((q) => q.kind === 'publish_answer' && q.outcome === 'adopted')
  const answers = await Promise.all(
    adopted.map(async (q) => {
      const p = payloadOf(q)
      if (p.kind !== 'publish_answer' || p.thread === null) return null
      const board = await findBoard(deps.db, cell.id, p.board)
      if (!board || !(await reads(board))) return null
      const thread = await findThread(deps.db, board.id, p.thread)
      if (!thread) return null
      // The letter and the cell's reply: posts 1 and 2, those of them still there.
      const posts = (await listPosts(deps.db, thread.id, 2, 0)).filter((x) => x.number <= 2)
      return { decision: q.number, board: board.slug, thread: thread.number, title: thread.title, at: q.closed_at!, posts }
    }),
  )
  return { cell, answers: answers.filter((a) => a !== null) }
}

/** The cell's public decision log, newest first: decisions (with what each was about) and operator actions. */
export async function readDecisionLog(deps: Deps, cellSlug: string, session: Session | null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const [closed, actions, fraternal] = await Promise.all([closedQuestions(deps.db, cell.id), operatorActions(deps.db, cell.id), fraternalCells(deps.db, cell.id)])
  const decisions = await decisionsOf(deps, closed, session)
  // Newest first; a decision and an operator action in the same coarse hour keep their own order.
  const entries = [...decisions, ...actions.map((a) => ({ kind: 'operator' as const, action: a.action, at: a.created_at }))].sort((a, b) => b.at.localeCompare(a.at))
  return { cell, entries, fraternal }
}

export async function readMyQuestions(deps: Deps, session: Session | null) {
  if (!session) return []
  await closeDueQuestions(deps)
  return (await openQuestionsFor(deps.db, session.fingerprint)).map((r) => ({ cell: r.slug, number: r.number, label: labelOf(r.kind), deadline: r.deadline, voted: r.ballot_id !== null }))
}

// The count in every voter's header (open questions waiting for the key's ballot) was a query on every page view (a tenth of a logged-in
// thread page's time, measured). Kept per key for ten seconds, per set of dependencies (a test's
// board, a server), dropped whenever a question opens or closes here, and a key's own when it casts a ballot; another node's change shows
// within those ten seconds.
const OPEN_COUNT_MS = 10_000
/**
 * The kept counts; how many times every count changed (a question opened or closed); and the keys
 * whose count is being read now, marked if their key cast a ballot meanwhile. A count read across
 * a change of its own is not kept (on PostgreSQL a read is a round trip). A ballot marks only its
 * own key's reads: during a busy vote the other keys' counts are kept as before. A key is listed
 * here only while its count is being read.
 */
type OpenCounts = { counts: Map<string, { n: number; at: number }>; changes: number; reading: Map<string, { readers: number; changed: boolean }> }
const openCounts = new WeakMap<Deps['cache'], OpenCounts>()
const countsOf = (deps: Deps) => {
  let m = openCounts.get(deps.cache)
  if (!m) openCounts.set(deps.cache, (m = { counts: new Map(), changes: 0, reading: new Map() }))
  return m
}
export const openCountsChanged = (deps: Deps) => {
  const m = countsOf(deps)
  m.changes++
  m.counts.clear()
}
/** This key cast a ballot: one question fewer waits for it. */
export const openCountChangedFor = (deps: Deps, fingerprint: string) => {
  const m = countsOf(deps)
  m.counts.delete(fingerprint)
  const reading = m.reading.get(fingerprint)
  if (reading) reading.changed = true
}

export async function countMyOpenQuestions(deps: Deps, fingerprint: string): Promise<number> {
  const m = countsOf(deps)
  const hit = m.counts.get(fingerprint)
  if (hit && deps.now() - hit.at < OPEN_COUNT_MS) return hit.n
  const changes = m.changes
  let reading = m.reading.get(fingerprint)
  if (!reading) m.reading.set(fingerprint, (reading = { readers: 0, changed: false }))
  reading.readers++
  let n: number
  try {
    n = await countOpenFor(deps.db, fingerprint)
  } finally {
    if (--reading.readers === 0) m.reading.delete(fingerprint)
  }
  // Read across a change (on PostgreSQL a read is a round trip): shown to this page, not kept.
  if (m.changes !== changes || reading.changed) return n
  if (m.counts.size > 10_000) m.counts.clear()
  m.counts.set(fingerprint, { n, at: deps.now() })
  return n
}
