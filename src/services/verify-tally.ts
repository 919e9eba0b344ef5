import { DomainError } from '../domain/errors.ts'
import { outcomeOf, parseBallot, type Outcome, type Threshold } from '../domain/questions.ts'
import { readPublicKey, verifyClearsigned } from '../pgp.ts'

// Recompute a decision offline from its published bundle: every ballot's signature is checked
// against the voter's published key, every ballot must name this site, cell, question and line
// version, one per eligible key, and the tally and outcome must come out as published.
export type VerifyReport = { ok: boolean; outcome: Outcome; tally: { yes: number; no: number; abstain: number }; problems: string[] }

type Bundle = {
  format: string
  site: string
  cell: string
  question: { id: number; lineVersion: number; eligible: number; quorum: number; threshold: Threshold; outcome: Outcome | null; tally: { yes: number | null; no: number | null; abstain: number | null } }
  eligible: { fingerprint: string; publicKey: string }[]
  ballots: { fingerprint: string; signedText: string }[]
}

export async function verifyTally(bundle: Bundle): Promise<VerifyReport> {
  if (bundle?.format !== 'cellboard-tally-v1') throw new Error('not a cellboard tally bundle (format cellboard-tally-v1)')
  const problems: string[] = []
  const keys = new Map(bundle.eligible.map((v) => [v.fingerprint, v.publicKey]))
  if (keys.size !== bundle.question.eligible) problems.push(`the bundle lists ${keys.size} eligible keys, the question says ${bundle.question.eligible}`)
  for (const [fingerprint, armored] of keys) {
    const key = await readPublicKey(armored).catch(() => null)
    if (key && key.fingerprint !== fingerprint) problems.push(`the key listed as ${fingerprint} is ${key.fingerprint}`)
  }
  const tally = { yes: 0, no: 0, abstain: 0 }
  const seen = new Set<string>()
  for (const b of bundle.ballots) {
    const key = keys.get(b.fingerprint)
    if (!key) {
      problems.push(`a ballot by ${b.fingerprint}, which is not an eligible key`)
      continue
    }
    if (seen.has(b.fingerprint)) {
      problems.push(`more than one ballot by ${b.fingerprint}`)
      continue
    }
    seen.add(b.fingerprint)
    try {
      const ballot = parseBallot((await verifyClearsigned(b.signedText, key)).text)
      const want = { site: bundle.site, cell: bundle.cell, question: bundle.question.id, line: bundle.question.lineVersion }
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
  const outcome = outcomeOf({ ...tally, eligible: bundle.question.eligible, quorum: bundle.question.quorum, threshold: bundle.question.threshold })
  const published = bundle.question.tally
  if (published.yes !== tally.yes || published.no !== tally.no || published.abstain !== tally.abstain) {
    problems.push(`the published tally (yes ${published.yes}, no ${published.no}, abstain ${published.abstain}) differs from the ballots (yes ${tally.yes}, no ${tally.no}, abstain ${tally.abstain})`)
  }
  if (bundle.question.outcome !== outcome) problems.push(`the published outcome is ${bundle.question.outcome}; the ballots give ${outcome}`)
  return { ok: problems.length === 0, outcome, tally, problems }
}
