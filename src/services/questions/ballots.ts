import { eligibleKeyId, putBallot, tallyBallots } from '../../db/ballots.ts'
import { findQuestion, lockOpenQuestion } from '../../db/questions.ts'
import { DomainError, notFound } from '../../domain/errors.ts'
import { ballotText, CHOICES, parseBallot, settledOutcome, type Choice, type Outcome } from '../../domain/questions.ts'
import { clearsign, MAX_SHORT_SIGNED_BYTES, verifyClearsigned } from '../../pgp.ts'
import type { Deps } from '../deps.ts'
import { assertKeyStillValid } from '../identities.ts'
import { takeLimit, withinLimit } from '../limits.ts'
import { findCellOrThrow } from '../reading.ts'
import { t } from '../../i18n/index.ts'
import { requireSession, type Who } from '../who.ts'
import { coarseNow, tallyOf } from './common.ts'
import { labelOf } from './kinds.ts'
import { closeDueQuestions, closeQuestion } from './decide.ts'
import { openCountChangedFor } from './read.ts'

/** A ballot as sent; `question` is the question's number in the cell. */
export type BallotInput = { cell: string; question: number; choice?: string; signed?: string; confirm?: string }
export type BallotResult = { state: 'confirm'; text: string; choice: Choice; label: string } | { state: 'cast'; closed: Outcome | null }

/**
 * The one write path for ballots. A ballot is a signature over the canonical ballot text, binding
 * it to this site, the cell, the question and the line version. A pasted clearsigned ballot
 * (GnuPG, or a browser key) is verified against the session's key; a disposable identity's ballot
 * is signed on the server only after the voter confirms the exact text. A later ballot replaces
 * the earlier one.
 */
export async function castBallot(deps: Deps, who: Who, input: BallotInput): Promise<BallotResult> {
  const cell = await findCellOrThrow(deps, input.cell)
  await closeDueQuestions(deps)
  const q = await findQuestion(deps.db, cell.id, input.question)
  if (!q) throw notFound(t('questions.question_not_found'))
  if (q.status !== 'open') throw new DomainError(409, t('questions.closed_no_ballots'))
  const session = requireSession(who, 'Voting')
  await assertKeyStillValid(deps, session)
  const keyId = await eligibleKeyId(deps.db, q.id, session.fingerprint)
  if (keyId === null) throw new DomainError(403, t('questions.not_a_voter'))
  const place = { site: deps.config.siteId, cell: cell.slug, question: q.number, line: q.line_version }
  // One reading of the clock: the ballot's published time is also its server signature's.
  const castAt = coarseNow(deps)

  // A ballot counts when it is cast (a pasted one, or a disposable voter's confirmation), before
  // its signature is checked or made; it is given back if the ballot is refused.
  const casting = Boolean(input.signed?.trim()) || (input.confirm === 'yes' && session.kind === 'disposable')
  const taken = casting ? await takeLimit(deps, 'ballot', session) : null
  return withinLimit(deps, taken, async (): Promise<BallotResult> => {
    let choice: Choice
    let signing: 'disposable' | 'browser' | 'gpg-signed'
    let signedText: string
    if (input.signed?.trim()) {
      const verified = await verifyClearsigned(input.signed, session.armoredPublic, new Date(deps.now()), MAX_SHORT_SIGNED_BYTES)
      const b = parseBallot(verified.text)
      for (const k of ['site', 'cell', 'question', 'line'] as const) {
        if (b[k] !== place[k]) throw new DomainError(422, t('questions.ballot_mismatch', { line: k, signed: String(b[k]), here: String(place[k]) }), { signed: t('questions.ballot_mismatch_field', { line: k }) })
      }
      // A choice ticked beside it must be the one signed: the signed text is what counts, and a
      // ballot signed before (a send lost on the way, then another choice ticked) was counted
      // for the old one without a word. None ticked: a paste stands alone.
      if (CHOICES.includes(input.choice as Choice) && input.choice !== b.choice) {
        const said = { signed: t(`questions.choice_${b.choice}`), ticked: t(`questions.choice_${input.choice}`) }
        throw new DomainError(422, t('questions.ballot_choice_differs', said), { choice: t('questions.ballot_choice_differs_field', said) })
      }
      choice = b.choice
      signing = session.kind === 'browser' ? 'browser' : 'gpg-signed'
      signedText = verified.armored
    } else {
      // A GnuPG voter's form has no choices to tick: what it lacks is the signed ballot.
      if (session.kind === 'gpg') throw new DomainError(422, t('questions.sign_and_paste'), { signed: t('questions.paste_clearsigned') })
      if (!CHOICES.includes(input.choice as Choice)) throw new DomainError(422, t('questions.choose_choice'), { choice: t('questions.choose_choice') })
      choice = input.choice as Choice
      if (session.kind !== 'disposable' || !session.armoredPrivate) throw new DomainError(422, t('questions.sign_and_paste'), { signed: t('questions.paste_clearsigned') })
      const text = ballotText({ ...place, choice })
      if (input.confirm !== 'yes') return { state: 'confirm', text, choice, label: labelOf(q.kind) }
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
      throw new DomainError(409, t('questions.closed_on_way'))
    }
    openCountChangedFor(deps, session.fingerprint)
    // Close at once when the voters left can no longer change the outcome.
    const settled = settledOutcome(tallyOf(q, await tallyBallots(deps.db, q.id)))
    if (settled) await closeQuestion(deps, q)
    return { state: 'cast', closed: settled }
  })
}
