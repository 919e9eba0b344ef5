import { t } from '../i18n/index.ts'
import { DomainError } from './errors.ts'

// Line questions: the rules every kind shares — thresholds, quorum, the tally and its outcome, the
// canonical ballot text. What is particular to each kind lives in its entry in
// src/services/questions/kinds.ts.
export type Threshold = 'majority' | 'two_thirds'

export const CHOICES = ['yes', 'no', 'abstain'] as const
export type Choice = (typeof CHOICES)[number]

/**
 * A "remove a post" question as shown to whoever may not read the post's board: that it is about
 * a post on a members-only board, and the principle it cites; not the board, thread or number.
 * The marker is data (a tally bundle holds it); pages word it from the catalog.
 */
export const WITHHELD_POST = 'a post on a members-only board'
export type WithheldPost = { kind: 'remove_post'; withheld: typeof WITHHELD_POST; principle: number; principleText: string }
export const withheldPost = (p: { principle: number; principleText: string }): WithheldPost => ({ kind: 'remove_post', withheld: WITHHELD_POST, principle: p.principle, principleText: p.principleText })

export type Tally = { yes: number; no: number; abstain: number; eligible: number; quorum: number; threshold: Threshold }
export type Outcome = 'adopted' | 'rejected' | 'no_quorum'

const cast = (t: Tally) => t.yes + t.no + t.abstain

/** Whether the yes side carries, given the votes for and against. */
export function carries(yes: number, no: number, threshold: Threshold): boolean {
  return threshold === 'two_thirds' ? yes > 0 && 3 * yes >= 2 * (yes + no) : yes > no
}

/** The outcome when a question closes: quorum counts every ballot, abstentions included. */
export function outcomeOf(t: Tally): Outcome {
  if (cast(t) < t.quorum) return 'no_quorum'
  return carries(t.yes, t.no, t.threshold) ? 'adopted' : 'rejected'
}

/**
 * The outcome if it can no longer change, whatever the voters who have not voted yet choose
 * (ballots already cast are taken as they stand: a question that closes early closes at once).
 * Null while it could still go either way.
 */
export function settledOutcome(t: Tally): Outcome | null {
  const left = t.eligible - cast(t)
  if (left === 0) return outcomeOf(t)
  if (cast(t) < t.quorum) return null // the rest could still make quorum, or not
  const best = carries(t.yes + left, t.no, t.threshold)
  const worst = carries(t.yes, t.no + left, t.threshold)
  if (best === worst) return best ? 'adopted' : 'rejected'
  return null
}

/**
 * The line's principles after an adopted amendment, or null when there is nothing left to change.
 * The voters decided on the line as it read when the question was raised (`asked`); another
 * amendment may have closed since. So a replace or remove applies to that principle as it read
 * then, found by its text in the line as it is now, never to whatever now bears its number.
 */
export function amendedPrinciples(current: string[], asked: string[], change: 'add' | 'replace' | 'remove', principle: number | null, text: string | null): string[] | null {
  if (change === 'add') return [...current, text!]
  const i = principle! - 1
  const target = asked[i]
  if (target === undefined) return null
  let at: number
  if (current.length === asked.length && current.every((t, j) => t === asked[j])) at = i
  else {
    // The k-th principle with that text then is the k-th with that text now (texts may repeat).
    const k = asked.slice(0, i).filter((t) => t === target).length
    at = current.map((t, j) => (t === target ? j : -1)).filter((j) => j >= 0)[k] ?? -1
  }
  if (at < 0) return null
  return change === 'replace' ? current.map((t, i) => (i === at ? text! : t)) : current.filter((_, i) => i !== at)
}

/** Default quorum: half the eligible voters, rounded up (at least one). */
export const defaultQuorum = (eligible: number) => Math.max(1, Math.ceil(eligible / 2))

// ----- Ballots: the canonical text a voter signs -----------------------------------------------

export type BallotText = { site: string; cell: string; question: number; line: number; choice: Choice }
const BALLOT_HEADER = 'cellboard ballot v1'

export const ballotText = (b: BallotText) => `${BALLOT_HEADER}\nsite: ${b.site}\ncell: ${b.cell}\nquestion: ${b.question}\nline: ${b.line}\nchoice: ${b.choice}`

export function parseBallot(text: string): BallotText {
  const m = new RegExp(`^${BALLOT_HEADER}\\nsite: (\\S+)\\ncell: (\\S+)\\nquestion: ([1-9][0-9]{0,14})\\nline: ([1-9][0-9]{0,9})\\nchoice: (yes|no|abstain)$`).exec(text)
  if (!m) throw new DomainError(422, t('questions.not_a_ballot'), { signed: t('questions.not_a_ballot_field') })
  return { site: m[1]!, cell: m[2]!, question: Number(m[3]), line: Number(m[4]), choice: m[5] as Choice }
}
