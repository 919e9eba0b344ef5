import { DomainError } from '../domain/errors.ts'
import { defaultQuorum, outcomeOf, parseBallot, type Outcome, type Threshold } from '../domain/questions.ts'
import { isQuestionKind, QUESTION_KINDS } from './questions/kinds.ts'
import { readPublicKey, verifyClearsigned, type CheckedKey } from '../pgp.ts'

// Recompute a decision offline from its published bundle: every ballot's signature is checked
// against the voter's published key, every ballot must name this site, cell, question and line
// version, one per eligible key, each key must be the one its fingerprint names and pass the key
// policy (as it stood when the question closed), the quorum and threshold must be the rules for
// that kind of question, and the tally and outcome must come out as published.
export type VerifyReport = { ok: boolean; outcome: Outcome; tally: { yes: number; no: number; abstain: number }; problems: string[] }

type Bundle = {
  format: string
  site: string
  cell: string
  // `number` is the question's number in its cell; bundles published before it had that name
  // called it `id` (the same value for every question raised until then).
  question: { number?: number; id?: number; kind: string; lineVersion: number; eligible: number; quorum: number; threshold: Threshold; closedAt: string | null; outcome: Outcome | null; tally: { yes: number | null; no: number | null; abstain: number | null } }
  eligible: { fingerprint: string; publicKey: string }[]
  ballots: { fingerprint: string; signedText: string }[]
}

export async function verifyTally(bundle: Bundle): Promise<VerifyReport> {
  if (bundle?.format !== 'cellboard-tally-v1') throw new Error('not a cellboard tally bundle (format cellboard-tally-v1)')
  const problems: string[] = []
  const q = bundle.question
  const number = q.number ?? q.id
  // The rules are the kind's, not whatever the bundle claims.
  if (!isQuestionKind(q.kind)) problems.push(`unknown kind of question: ${q.kind}`)
  else if (q.threshold !== QUESTION_KINDS[q.kind].threshold) problems.push(`a ${q.kind} question is carried by ${QUESTION_KINDS[q.kind].threshold}, the bundle says ${q.threshold}`)
  if (q.quorum !== defaultQuorum(q.eligible)) problems.push(`with ${q.eligible} eligible voters the quorum is ${defaultQuorum(q.eligible)}, the bundle says ${q.quorum}`)
  const listed = new Map(bundle.eligible.map((v) => [v.fingerprint, v.publicKey]))
  if (listed.size !== q.eligible) problems.push(`the bundle lists ${listed.size} eligible keys, the question says ${q.eligible}`)
  // Only keys that are what they claim and pass the key policy may count.
  const keys = new Map<string, CheckedKey>()
  for (const [fingerprint, armored] of listed) {
    try {
      const key = await readPublicKey(armored, 'signature-time')
      if (key.fingerprint !== fingerprint) problems.push(`the key listed as ${fingerprint} is ${key.fingerprint}`)
      else keys.set(fingerprint, key)
    } catch (e) {
      problems.push(`the key listed as ${fingerprint} is refused: ${e instanceof DomainError ? e.message : String(e)}`)
    }
  }
  const tally = { yes: 0, no: 0, abstain: 0 }
  const seen = new Set<string>()
  for (const b of bundle.ballots) {
    const key = keys.get(b.fingerprint)
    if (!key) {
      problems.push(`a ballot by ${b.fingerprint}, which is not an eligible key (or its key was refused above)`)
      continue
    }
    if (seen.has(b.fingerprint)) {
      problems.push(`more than one ballot by ${b.fingerprint}`)
      continue
    }
    seen.add(b.fingerprint)
    try {
      const ballot = parseBallot((await verifyClearsigned(b.signedText, key)).text)
      const want = { site: bundle.site, cell: bundle.cell, question: number, line: bundle.question.lineVersion }
      const off = (Object.keys(want) as (keyof typeof want)[]).filter((k) => ballot[k] !== want[k])
      if (off.length > 0) {
        problems.push(`the ballot by ${b.fingerprint} was signed for another ${off.join(', ')}`)
        continue
      }
      tally[ballot.choice]++
    } catch (e) {
      problems.push(`the ballot by ${b.fingerprint} does not verify: ${e instanceof DomainError ? e.message : String(e)}`)
    }
  }
  const threshold = isQuestionKind(q.kind) ? QUESTION_KINDS[q.kind].threshold : q.threshold
  const outcome = outcomeOf({ ...tally, eligible: q.eligible, quorum: defaultQuorum(q.eligible), threshold })
  const published = bundle.question.tally
  if (published.yes !== tally.yes || published.no !== tally.no || published.abstain !== tally.abstain) {
    problems.push(`the published tally (yes ${published.yes}, no ${published.no}, abstain ${published.abstain}) differs from the ballots (yes ${tally.yes}, no ${tally.no}, abstain ${tally.abstain})`)
  }
  if (bundle.question.outcome !== outcome) problems.push(`the published outcome is ${bundle.question.outcome}; the ballots give ${outcome}`)
  return { ok: problems.length === 0, outcome, tally, problems }
}
