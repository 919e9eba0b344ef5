import { DomainError } from '../domain/errors.ts'
import { defaultQuorum, outcomeOf, parseBallot, type Outcome, type Threshold } from '../domain/questions.ts'
import { isQuestionKind, QUESTION_KINDS } from './questions/kinds.ts'
import { readPublicKey, verifyClearsigned, type CheckedKey } from '../pgp.ts'
import { t } from '../i18n/index.ts'

// Recompute a decision offline from its published bundle: every ballot's signature is checked
// against the voter's published key, every ballot must name this site, cell, question and line
// version, one per eligible key, each key must be the one its fingerprint names and pass the key
// policy (as it stood when the question closed), the quorum and threshold must be the rules for
// that kind of question, and the tally and outcome must come out as published. The problems are
// sentences in the current language (the CLI's), from the catalog's area cli.
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
  if (bundle?.format !== 'cellboard-tally-v1') throw new DomainError(422, t('cli.tally_not_bundle', { format: 'cellboard-tally-v1' }))
  const problems: string[] = []
  const q = bundle.question
  const number = q.number ?? q.id
  // The rules are the kind's, not whatever the bundle claims.
  if (!isQuestionKind(q.kind)) problems.push(t('cli.tally_unknown_kind', { kind: String(q.kind) }))
  else if (q.threshold !== QUESTION_KINDS[q.kind].threshold) problems.push(t('cli.tally_threshold', { kind: q.kind, threshold: QUESTION_KINDS[q.kind].threshold, claimed: String(q.threshold) }))
  if (q.quorum !== defaultQuorum(q.eligible)) problems.push(t('cli.tally_quorum', { eligible: q.eligible, quorum: defaultQuorum(q.eligible), claimed: String(q.quorum) }))
  const listed = new Map(bundle.eligible.map((v) => [v.fingerprint, v.publicKey]))
  if (listed.size !== q.eligible) problems.push(t('cli.tally_listed', { listed: listed.size, eligible: String(q.eligible) }))
  // Only keys that are what they claim and pass the key policy may count.
  const keys = new Map<string, CheckedKey>()
  for (const [fingerprint, armored] of listed) {
    try {
      const key = await readPublicKey(armored, 'signature-time')
      if (key.fingerprint !== fingerprint) problems.push(t('cli.tally_key_mismatch', { listed: fingerprint, actual: key.fingerprint }))
      else keys.set(fingerprint, key)
    } catch (e) {
      problems.push(t('cli.tally_key_refused', { fingerprint, why: e instanceof DomainError ? e.message : String(e) }))
    }
  }
  const tally = { yes: 0, no: 0, abstain: 0 }
  const seen = new Set<string>()
  for (const b of bundle.ballots) {
    const key = keys.get(b.fingerprint)
    if (!key) {
      problems.push(t('cli.tally_not_eligible', { fingerprint: b.fingerprint }))
      continue
    }
    if (seen.has(b.fingerprint)) {
      problems.push(t('cli.tally_twice', { fingerprint: b.fingerprint }))
      continue
    }
    seen.add(b.fingerprint)
    try {
      const ballot = parseBallot((await verifyClearsigned(b.signedText, key)).text)
      const want = { site: bundle.site, cell: bundle.cell, question: number, line: bundle.question.lineVersion }
      const off = (Object.keys(want) as (keyof typeof want)[]).filter((k) => ballot[k] !== want[k])
      if (off.length > 0) {
        const fields = off.map((field) => t('cli.tally_field', { field })).join(t('cli.list_separator'))
        problems.push(t('cli.tally_signed_for_other', { fingerprint: b.fingerprint, fields }))
        continue
      }
      tally[ballot.choice]++
    } catch (e) {
      problems.push(t('cli.tally_does_not_verify', { fingerprint: b.fingerprint, why: e instanceof DomainError ? e.message : String(e) }))
    }
  }
  const threshold = isQuestionKind(q.kind) ? QUESTION_KINDS[q.kind].threshold : q.threshold
  const outcome = outcomeOf({ ...tally, eligible: q.eligible, quorum: defaultQuorum(q.eligible), threshold })
  const published = bundle.question.tally
  if (published.yes !== tally.yes || published.no !== tally.no || published.abstain !== tally.abstain) {
    problems.push(t('cli.tally_differs', { published_yes: String(published.yes), published_no: String(published.no), published_abstain: String(published.abstain), ...tally }))
  }
  if (bundle.question.outcome !== outcome) {
    const word = (o: string) => t('cli.outcome', { outcome: o })
    problems.push(t('cli.tally_outcome_differs', { published: word(bundle.question.outcome ?? 'none'), outcome: word(outcome) }))
  }
  return { ok: problems.length === 0, outcome, tally, problems }
}
