import { findBoard } from '../db/boards.ts'
import { currentLine, lockCell } from '../db/cells.ts'
import { ensureKey } from '../db/keys.ts'
import { insertLineVersion, lineHistory } from '../db/lines.ts'
import { findPostAt } from '../db/posts.ts'
import {
  ballotsOf,
  countBallots,
  countOpenFor,
  dueQuestions,
  eligibleKeyId,
  eligibleVoters,
  findFraternal,
  findQuestion,
  fraternalCells,
  insertQuestion,
  closedQuestions,
  openQuestions,
  openQuestionsFor,
  operatorActions,
  lockOpenQuestion,
  recognise,
  withdrawRecognition,
  putBallot,
  recordDecision,
  tallyBallots,
} from '../db/questions.ts'
import { putRosterEntry, removeRosterEntry, roleOf, voterKeyIds } from '../db/roster.ts'
import type { Board, Cell, Question } from '../db/schema.ts'
import { DomainError, notFound, validateFields } from '../domain/errors.ts'
import { identityChanged } from '../domain/forms.ts'
import {
  amendedPrinciples,
  ballotText,
  CHOICES,
  defaultQuorum,
  isQuestionKind,
  outcomeOf,
  parseBallot,
  QUESTION_KINDS,
  settledOutcome,
  type Choice,
  type Outcome,
  type Payload,
  type ShownPayload,
  type Tally,
  withheldPost,
} from '../domain/questions.ts'
import { checkBody, checkLine } from '../domain/text.ts'
import { coarseTime, coarseTimeAfter } from '../domain/time.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { clearsign, forgetSigningKey, MAX_SHORT_SIGNED_BYTES, readPublicKey, verifyClearsigned } from '../pgp.ts'
import type { Deps } from './deps.ts'
import { assertKeyStillValid } from './identities.ts'
import { forgetPost } from './forget.ts'
import { canRead, findCellOrThrow } from './reading.ts'

type Who = { session: Session | null; expired: boolean; formKey?: string }

const time = (deps: Deps, at = deps.now()) => coarseTime(at, deps.config.timeGranularityMs)
export const payloadOf = (q: Question) => JSON.parse(q.payload) as Payload
export const tallyOf = (q: Question, counts: { yes: number; no: number; abstain: number }): Tally => ({ ...counts, eligible: q.eligible, quorum: q.quorum, threshold: q.threshold })

function requireSession(who: Who, what: string): Session {
  if (who.session) {
    const changed = identityChanged(who.formKey, who.session.fingerprint)
    if (changed) throw changed
    return who.session
  }
  throw new DomainError(403, who.expired ? `Your identity’s session has ended, so you cannot ${what}. Log in again and submit again.` : `To ${what}, take an identity or log in with your key first.`)
}

/** What a raise form sent. Which fields matter depends on the kind. */
export type RaiseInput = Partial<Record<'kind' | 'argument' | 'board' | 'thread' | 'number' | 'principle' | 'change' | 'text' | 'public_key' | 'role' | 'name' | 'location' | 'fingerprint', string>> & { cell: string }

const need = (field: string, v: string | undefined, message: string) => {
  if (!v || v.trim() === '') throw new DomainError(422, message, { [field]: message })
  return v.trim()
}
const wholeNumber = (field: string, v: string | undefined, what: string) => {
  const s = need(field, v, `Give the ${what}.`)
  if (!/^[1-9][0-9]{0,9}$/.test(s)) throw new DomainError(422, `The ${what} is a whole number.`, { [field]: `The ${what} is a whole number.` })
  return Number(s)
}
const fingerprintField = (v: string | undefined) => {
  const s = need('fingerprint', v, 'Give the key’s fingerprint.').replace(/\s+/g, '').toLowerCase()
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(s)) throw new DomainError(422, 'That is not a fingerprint.', { fingerprint: 'A fingerprint is 40 (or 64) hex digits.' })
  return s
}

/**
 * Raise a line question. Any roster member may raise any kind; any identity may ask to remove a
 * post on a public board (a few times an hour per key). The question records the line version,
 * a deadline, a quorum and a threshold; the voters are the roster's voters at this moment.
 */
export async function raiseQuestion(deps: Deps, who: Who, input: RaiseInput): Promise<number> {
  const session = requireSession(who, 'raise a question')
  await assertKeyStillValid(deps, session)
  const cell = await findCellOrThrow(deps, input.cell)
  const kind = input.kind ?? ''
  if (!isQuestionKind(kind)) throw new DomainError(422, 'Choose what the question asks.', { kind: 'Choose a kind of question.' })
  const role = await roleOf(deps.db, cell.id, session.fingerprint)
  if (!role && !QUESTION_KINDS[kind].anyone) throw new DomainError(403, 'Only keys on the cell’s roster may raise this kind of question. Anyone may ask to remove a post.')
  const line = await currentLine(deps.db, cell.id)
  const argument = validateFields({ argument: () => checkBody('argument', input.argument ?? '', 2000) }, 'Give a short argument.').argument
  const payload = await payloadFor(deps, cell, kind, input, line, session)
  const voters = await voterKeyIds(deps.db, cell.id)
  if (voters.length === 0) throw new DomainError(422, 'This cell has no voters on its roster yet, so nobody could decide the question.')
  if (!role && !(await deps.rateLimits.hit(`raise:${session.fingerprint}`, deps.config.raiseLimitPerHour, 3600_000))) {
    throw new DomainError(429, `A key off the roster may raise at most ${deps.config.raiseLimitPerHour} questions an hour. Try again later.`)
  }
  const number = await deps.db.transaction().execute((tx) =>
    insertQuestion(
      tx,
      {
        cell_id: cell.id,
        kind,
        payload: JSON.stringify(payload),
        argument,
        line_version: line.version,
        eligible: voters.length,
        quorum: defaultQuorum(voters.length),
        threshold: QUESTION_KINDS[kind].threshold,
        opened_at: time(deps),
        // Coarse too, rounded up: deadline minus the question time would otherwise give the
        // exact moment someone raised it.
        deadline: coarseTimeAfter(deps.now() + deps.config.questionMs, deps.config.timeGranularityMs),
        status: 'open',
        outcome: null,
        yes: null,
        no: null,
        abstain: null,
        closed_at: null,
      },
      voters,
    ),
  )
  forgetOpenCounts()
  return number
}

async function payloadFor(deps: Deps, cell: Cell, kind: keyof typeof QUESTION_KINDS, input: RaiseInput, line: { principles: { number: number; text: string }[] }, session: Session): Promise<Payload> {
  const principleOf = (n: number) => {
    const p = line.principles.find((x) => x.number === n)
    if (!p) throw new DomainError(422, `The cell’s line has no principle ${n}.`, { principle: `Cite a principle of the current line (1–${line.principles.length}).` })
    return p
  }
  switch (kind) {
    case 'remove_post': {
      const v = validateFields(
        {
          board: () => need('board', input.board, 'Give the board of the post.'),
          thread: () => wholeNumber('thread', input.thread, 'thread number'),
          number: () => wholeNumber('number', input.number, 'post number'),
          principle: () => wholeNumber('principle', input.principle, 'principle number'),
        },
        'The question was not raised: see the messages beside the fields.',
      )
      const board = await findBoard(deps.db, cell.id, v.board)
      if (!board) throw new DomainError(422, 'That post is not in this cell: a question can only be about this cell’s posts.', { board: 'No board of this cell has that name.' })
      // Before the post is looked up: whoever may not read the board learns nothing of its posts.
      if (!(await canRead(deps, board, session))) throw new DomainError(403, 'Only the cell’s roster may raise questions about a members-only board.')
      const post = await findPostAt(deps.db, { boardId: board.id, thread: v.thread, number: v.number })
      if (!post) throw new DomainError(422, 'There is no such post in this cell.', { number: 'No post with that thread and number on this board.' })
      const principle = principleOf(v.principle)
      return { kind, board: board.slug, thread: v.thread, number: v.number, principle: principle.number, principleText: principle.text }
    }
    case 'amend_line': {
      const change = input.change
      if (change !== 'add' && change !== 'replace' && change !== 'remove') throw new DomainError(422, 'Choose how the line changes.', { change: 'Add, replace or remove a principle.' })
      const principle = change === 'add' ? null : principleOf(wholeNumber('principle', input.principle, 'principle number')).number
      const text = change === 'remove' ? null : checkLine('text', input.text ?? '', 500, 'The principle')
      return { kind, change, principle, text }
    }
    case 'admit_key': {
      const r = input.role
      if (r !== 'member' && r !== 'voter') throw new DomainError(422, 'Choose the role.', { role: 'Member or voter.' })
      const key = await readPublicKey(need('public_key', input.public_key, 'Paste the key to admit.'), new Date(deps.now()))
      return { kind, fingerprint: key.fingerprint, armored: key.armored, role: r }
    }
    case 'remove_key': {
      const fingerprint = fingerprintField(input.fingerprint)
      if (!(await roleOf(deps.db, cell.id, fingerprint))) throw new DomainError(422, 'That key is not on the roster.', { fingerprint: 'Not on the roster.' })
      return { kind, fingerprint }
    }
    case 'recognise_cell': {
      const v = validateFields(
        {
          name: () => checkLine('name', input.name ?? '', 100, 'The name'),
          location: () => {
            const l = need('location', input.location, 'Give the cell’s address.')
            if (!/^https?:\/\/[^\s<>"]{1,300}$/i.test(l)) throw new DomainError(422, 'An address starts with http:// or https://.', { location: 'An http:// or https:// address (an onion address is fine).' })
            return l
          },
        },
        'The question was not raised: see the messages beside the fields.',
      )
      const key = await readPublicKey(need('public_key', input.public_key, 'Paste the other cell’s key.'), new Date(deps.now()))
      return { kind, name: v.name, location: v.location, fingerprint: key.fingerprint, armored: key.armored }
    }
    case 'withdraw_recognition': {
      const fingerprint = fingerprintField(input.fingerprint)
      const f = await findFraternal(deps.db, cell.id, fingerprint)
      if (!f) throw new DomainError(422, 'This cell recognises no cell with that key.', { fingerprint: 'Not a recognised cell.' })
      return { kind, fingerprint, name: f.name }
    }
  }
}

/** A ballot as sent; `question` is the question's number in the cell. */
export type BallotInput = { cell: string; question: number; choice?: string; signed?: string; confirm?: string }
export type BallotResult = { state: 'confirm'; text: string; choice: Choice } | { state: 'cast'; closed: Outcome | null }

/**
 * Cast a ballot: a signature over the canonical ballot text, binding it to this site, the cell,
 * the question and the line version. A pasted clearsigned ballot (GnuPG, or a browser key) is
 * verified against the session's key; a disposable identity's ballot is signed on the server only
 * after the voter confirms the exact text. A later ballot replaces the earlier one.
 */
export async function castBallot(deps: Deps, who: Who, input: BallotInput): Promise<BallotResult> {
  const cell = await findCellOrThrow(deps, input.cell)
  await closeDueQuestions(deps)
  const q = await findQuestion(deps.db, cell.id, input.question)
  if (!q) throw notFound('That question')
  if (q.status !== 'open') throw new DomainError(409, 'This question is closed: ballots are no longer accepted.')
  const session = requireSession(who, 'vote')
  await assertKeyStillValid(deps, session)
  const keyId = await eligibleKeyId(deps.db, q.id, session.fingerprint)
  if (keyId === null) throw new DomainError(403, 'Your key is not among this question’s voters (the roster’s voters when it opened).')
  const place = { site: deps.config.siteId, cell: cell.slug, question: q.number, line: q.line_version }
  // One reading of the clock: the ballot's published time is also its server signature's.
  const castAt = time(deps)

  let choice: Choice
  let signing: 'disposable' | 'browser' | 'gpg-signed'
  let signedText: string
  if (input.signed?.trim()) {
    const verified = await verifyClearsigned(input.signed, session.armoredPublic, new Date(deps.now()), MAX_SHORT_SIGNED_BYTES)
    const b = parseBallot(verified.text)
    for (const k of ['site', 'cell', 'question', 'line'] as const) {
      if (b[k] !== place[k]) throw new DomainError(422, `That ballot was signed for ${k} ${b[k]}, not for this one (${place[k]}). Sign the ballot text shown here.`, { signed: `The ${k} line does not match this question.` })
    }
    choice = b.choice
    signing = session.kind === 'browser' ? 'browser' : 'gpg-signed'
    signedText = verified.armored
  } else {
    if (!CHOICES.includes(input.choice as Choice)) throw new DomainError(422, 'Choose yes, no or abstain.', { choice: 'Choose yes, no or abstain.' })
    choice = input.choice as Choice
    if (session.kind !== 'disposable' || !session.armoredPrivate) throw new DomainError(422, 'Sign the ballot text with your key and paste it.', { signed: 'Paste the ballot, clearsigned.' })
    const text = ballotText({ ...place, choice })
    if (input.confirm !== 'yes') return { state: 'confirm', text, choice }
    signing = 'disposable'
    signedText = await clearsign(text, session.armoredPrivate, new Date(castAt))
  }
  // Checked again under the question's row lock: it may have closed while the signature was checked.
  const stored = await deps.db.transaction().execute(async (tx) => {
    if (!(await lockOpenQuestion(tx, q.id, new Date(deps.now()).toISOString()))) return false
    await putBallot(tx, { questionId: q.id, keyId, choice, signing, signedText, castAt })
    return true
  })
  if (!stored) {
    await closeDueQuestions(deps)
    throw new DomainError(409, 'This question closed while your ballot was on its way: ballots are no longer accepted.')
  }
  // Close at once when the voters left can no longer change the outcome.
  const settled = settledOutcome(tallyOf(q, await tallyBallots(deps.db, q.id)))
  if (settled) await closeQuestion(deps, q)
  return { state: 'cast', closed: settled }
}

/**
 * Close a question: record the tally and outcome and, if adopted, carry the decision out in the
 * same transaction. A removed post is then purged from the files; a removed key's sessions end.
 */
export async function closeQuestion(deps: Deps, q: Question): Promise<Outcome> {
  const payload = payloadOf(q)
  let purgeNeeded = false
  const outcome = await deps.db.transaction().execute(async (tx) => {
    if (!(await lockOpenQuestion(tx, q.id))) return null
    const counts = await tallyBallots(tx, q.id)
    const outcome = outcomeOf(tallyOf(q, counts))
    const closedAt = time(deps)
    await recordDecision(tx, q.id, { outcome, ...counts, closedAt })
    if (outcome !== 'adopted') return outcome
    switch (payload.kind) {
      case 'remove_post': {
        // By its place: numbers are never reused, so this is the post the voters saw, or none.
        const board = await findBoard(tx, q.cell_id, payload.board)
        const post = board ? await findPostAt(tx, { boardId: board.id, thread: payload.thread, number: payload.number }) : undefined
        if (post) {
          await forgetPost(tx, post)
          purgeNeeded = true
        }
        break
      }
      case 'amend_line': {
        await lockCell(tx, q.cell_id)
        const history = await lineHistory(tx, q.cell_id) // newest first
        const now = history[0]!
        const asked = history.find((l) => l.version === q.line_version) ?? now
        const texts = amendedPrinciples(now.principles.map((p) => p.text), asked.principles.map((p) => p.text), payload.change, payload.principle, payload.text)
        // Null: the principle it named was already replaced or removed by an earlier decision.
        if (texts) await insertLineVersion(tx, { cellId: q.cell_id, version: now.version + 1, createdAt: closedAt, questionId: q.id }, texts)
        break
      }
      case 'admit_key': {
        const keyId = await ensureKey(tx, { fingerprint: payload.fingerprint, armored: payload.armored, createdAt: closedAt })
        await putRosterEntry(tx, { cellId: q.cell_id, keyId, role: payload.role, createdAt: closedAt })
        break
      }
      case 'remove_key':
        await removeRosterEntry(tx, q.cell_id, payload.fingerprint)
        break
      case 'recognise_cell':
        await recognise(tx, { cellId: q.cell_id, name: payload.name, location: payload.location, fingerprint: payload.fingerprint, armored: payload.armored, questionId: q.id, createdAt: closedAt })
        break
      case 'withdraw_recognition':
        await withdrawRecognition(tx, q.cell_id, payload.fingerprint)
        break
    }
    return outcome
  })
  forgetOpenCounts()
  if (outcome === null) return (await findQuestion(deps.db, q.cell_id, q.number))!.outcome!
  if (outcome === 'adopted' && payload.kind === 'remove_key') {
    await deps.sessions.deleteByFingerprint(payload.fingerprint)
    forgetSigningKey(payload.fingerprint)
  }
  if (purgeNeeded) {
    deps.cache.clear()
    await deps.storage.finishForgetting()
  }
  return outcome
}

/** Close every open question whose deadline has passed. Runs on a timer and before voting. */
export async function closeDueQuestions(deps: Deps): Promise<number> {
  const due = await dueQuestions(deps.db, new Date(deps.now()).toISOString())
  for (const q of due) await closeQuestion(deps, q)
  return due.length
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
      argument: shown.argument,
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

// ----- Reading: the queue, one question, the decision log, the line ------------------------------

/** Whether this viewer may read a board, asked once per board however many questions name it. */
function boardReader(deps: Deps, session: Session | null) {
  const seen = new Map<number, Promise<boolean>>()
  return (board: Board) => {
    let may = seen.get(board.id)
    if (!may) seen.set(board.id, (may = canRead(deps, board, session)))
    return may
  }
}

/**
 * What of a question this viewer may see. A question about a post on a members-only board is
 * public, so that anyone can recheck its decision; the post is not. Its board, thread, number and
 * text, and the argument (which may quote the post), go only to those who may read that board.
 */
async function showQuestion(deps: Deps, q: Question, reads: ReturnType<typeof boardReader>): Promise<{ payload: ShownPayload; argument: string | null; board: Board | null }> {
  const payload = payloadOf(q)
  if (payload.kind !== 'remove_post') return { payload, argument: q.argument, board: null }
  const board = await findBoard(deps.db, q.cell_id, payload.board)
  if (!board || !(await reads(board))) return { payload: withheldPost(payload), argument: null, board: null }
  return { payload, argument: q.argument, board }
}

async function viewOf(deps: Deps, q: Question, reads: ReturnType<typeof boardReader>) {
  const shown = await showQuestion(deps, q, reads)
  const p = shown.payload
  const post = shown.board && p.kind === 'remove_post' && !('withheld' in p) ? await findPostAt(deps.db, { boardId: shown.board.id, thread: p.thread, number: p.number }) : undefined
  return {
    number: q.number,
    kind: q.kind,
    argument: shown.argument,
    line_version: q.line_version,
    eligible: q.eligible,
    quorum: q.quorum,
    threshold: q.threshold,
    opened_at: q.opened_at,
    deadline: q.deadline,
    status: q.status,
    outcome: q.outcome,
    payload: p,
    post: post ? { bodyHtml: post.body_html } : null,
  }
}

async function itemOf(deps: Deps, cell: Cell, q: Question, session: Session | null, reads: ReturnType<typeof boardReader>) {
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

export async function readDecisionLog(deps: Deps, cellSlug: string) {
  const cell = await findCellOrThrow(deps, cellSlug)
  await closeDueQuestions(deps)
  const [closed, actions, fraternal] = await Promise.all([closedQuestions(deps.db, cell.id), operatorActions(deps.db, cell.id), fraternalCells(deps.db, cell.id)])
  const outcome = { adopted: 'adopted', rejected: 'rejected', no_quorum: 'no quorum' } as const
  // Newest first; a decision and an operator action in the same coarse hour keep their own order.
  const entries = [
    ...closed.map((q) => ({ kind: 'decision' as const, number: q.number, label: QUESTION_KINDS[q.kind].label, outcome: outcome[q.outcome!], at: q.closed_at! })),
    ...actions.map((a) => ({ kind: 'operator' as const, action: a.action, at: a.created_at })),
  ].sort((a, b) => b.at.localeCompare(a.at))
  return { cell, entries, fraternal }
}

export async function readMyQuestions(deps: Deps, session: Session | null) {
  if (!session) return []
  await closeDueQuestions(deps)
  return (await openQuestionsFor(deps.db, session.fingerprint)).map((r) => ({ cell: r.slug, number: r.number, label: QUESTION_KINDS[r.kind].label, deadline: r.deadline }))
}

// The count in every voter's header was a query on every page view (a tenth of a logged-in
// thread page's time, measured). Kept per key for ten seconds, dropped here whenever a question
// opens or closes; another node's change shows within those ten seconds.
const openCounts = new Map<string, { n: number; at: number }>()
const OPEN_COUNT_MS = 10_000
const forgetOpenCounts = () => openCounts.clear()

export async function countMyOpenQuestions(deps: Deps, fingerprint: string): Promise<number> {
  const hit = openCounts.get(fingerprint)
  if (hit && Date.now() - hit.at < OPEN_COUNT_MS) return hit.n
  const n = await countOpenFor(deps.db, fingerprint)
  if (openCounts.size > 10_000) openCounts.clear()
  openCounts.set(fingerprint, { n, at: Date.now() })
  return n
}
