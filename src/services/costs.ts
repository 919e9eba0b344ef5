import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import { createChallenge, verifySolution, type Challenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import { busyPicture, drawPicture } from '../captcha.ts'
import { COST_TTL_MS, makePuzzle, readAnswer, readPicture, type CostPurpose, type IssuedCost, type Puzzle } from '../domain/costs.ts'
import { DomainError } from '../domain/errors.ts'
import { isPuzzleId } from '../ephemeral/costs.ts'
import type { Deps } from './deps.ts'

// A cost for a new identity (and a held key's first login; later for posting in flood mode and
// for letters), so that one client cannot take thousands. Where nothing tells people apart, work
// is the only fair price. Two ways to pay, either of which will do:
// - JavaScript on: a proof of work (altcha-lib, PBKDF2/SHA-256) that static/pow.js solves in the
//   browser while the person reads the form. Deterministic mode: the server derives the key for a
//   random counter and signs it (hmacKeySignatureSecret), so checking a solution is two HMACs,
//   never a derivation. The challenge is stateless (signed, with its purpose and expiry); what is
//   stored is only each challenge once it is spent, until it expires, so a solution pays once.
// - JavaScript off: a puzzle, stored: a picture of letters (GET /cost/ID.png) and, for text
//   browsers and people who cannot read it, a question with a number for its answer. It is used up
//   by its first attempt, right or wrong, and answers are compared as MACs in constant time.
// Nothing about a challenge, an answer or a refusal is logged.

export const POW_ALGORITHM = 'PBKDF2/SHA-256'
const MAX_POW_FIELD = 2048

/** A puzzle from the system's randomness (the picture's letters and the question's numbers). */
export const randomPuzzle = (): Puzzle => makePuzzle((n) => randomInt(n))

/** The cost of one form for `purpose`, to show with it; null when ABUSE_COSTS is off. */
export async function issueCost(deps: Deps, purpose: CostPurpose): Promise<IssuedCost | null> {
  if (!deps.config.abuseCosts) return null
  const expiresAt = deps.now() + COST_TTL_MS
  const [pow, puzzle] = await Promise.all([issueProofOfWork(deps, purpose, expiresAt), issuePuzzle(deps, purpose, expiresAt)])
  return { purpose, pow, puzzle }
}

/** A signed proof-of-work challenge, encoded for a form field (bench/costs.ts measures it alone). */
export async function issueProofOfWork(deps: Deps, purpose: CostPurpose, expiresAt: number): Promise<string> {
  const max = deps.config.powMaxCounter
  const challenge = await createChallenge({
    algorithm: POW_ALGORITHM,
    cost: deps.config.powCost,
    // Between half the most and the most: every challenge takes some work, none more than the most.
    counter: randomInt(Math.ceil(max / 2), max + 1),
    deriveKey,
    expiresAt: new Date(expiresAt),
    data: { purpose },
    hmacSignatureSecret: deps.costs.secrets.powSignature,
    hmacKeySignatureSecret: deps.costs.secrets.powKey,
  })
  return Buffer.from(JSON.stringify(challenge)).toString('base64url')
}

const answerMac = (deps: Deps, kind: 'picture' | 'answer', value: string) => createHmac('sha256', deps.costs.secrets.answers).update(`${kind}\0${value}`).digest()

/** A new puzzle, kept until it is answered or expires; null when too many are waiting. */
export async function issuePuzzle(deps: Deps, purpose: CostPurpose, expiresAt: number): Promise<IssuedCost['puzzle']> {
  const p = deps.puzzles()
  const id = await deps.costs.keep({
    purpose,
    picture: p.picture,
    pictureMac: answerMac(deps, 'picture', readPicture(p.picture)).toString('hex'),
    answerMac: answerMac(deps, 'answer', String(p.answer)).toString('hex'),
    expiresAt,
  })
  return id ? { id, question: p.question } : null
}

type Refusal = 'unpaid' | 'wrong' | 'invalid' | 'expired' | 'used' | 'wrong-purpose' | 'gone' | 'busy'

const REFUSED: Record<Refusal, string> = {
  unpaid: 'This form asks for a small check first, so that no one can take identities by the thousand. With JavaScript on, your browser does it by itself in a second or two; without it, type the letters in the picture or answer the question. Nothing was saved.',
  wrong: 'That answer did not match. Each picture and question can be tried once: here is a new one. Nothing was saved.',
  invalid: 'The check your browser worked out was not accepted. It is working on a new one: send the form again in a moment. Nothing was saved.',
  expired: 'That check is more than 10 minutes old. Here is a new one. Nothing was saved.',
  used: 'That check was already used: each one pays for one form. Here is a new one. Nothing was saved.',
  'wrong-purpose': 'That check was made for another form. Here is the one for this form. Nothing was saved.',
  gone: 'That picture and question are no longer good (they were tried already, are more than 10 minutes old, or the server restarted). Here is a new one. Nothing was saved.',
  busy: 'Too many checks are being made at the moment. Nothing was saved: send the form again in a minute.',
}

const refuse = (why: Refusal) => new DomainError(why === 'busy' ? 429 : 422, REFUSED[why], { cost: why === 'busy' ? 'Send the form again in a minute.' : 'Do the new check below, then send the form again.' })

/**
 * Pay the cost of `purpose` with what the form carries: a solved proof of work (cost_pow,
 * cost_solution) or an answered puzzle (cost_puzzle, and cost_picture or cost_answer). Throws a
 * DomainError (422, 429 when full) that says why and what to do; nothing is kept of a refusal.
 */
export async function payCost(deps: Deps, purpose: CostPurpose, form: Record<string, string | undefined>): Promise<void> {
  if (!deps.config.abuseCosts) return
  const solution = form.cost_solution?.trim()
  if (solution) return payWithWork(deps, purpose, form.cost_pow ?? '', solution)
  if (form.cost_puzzle) return payWithPuzzle(deps, purpose, form.cost_puzzle, form.cost_picture ?? '', form.cost_answer ?? '')
  throw refuse('unpaid')
}

/** The challenge a form sent back, if it has the shape of one (what it says is checked after). */
function readChallenge(field: string): Challenge | null {
  if (field.length > MAX_POW_FIELD || !/^[A-Za-z0-9_-]+$/.test(field)) return null
  try {
    const c = JSON.parse(Buffer.from(field, 'base64url').toString('utf8')) as Challenge
    const p = c?.parameters
    const ok = typeof c.signature === 'string' && typeof p === 'object' && p !== null && typeof p.nonce === 'string' && typeof p.keySignature === 'string' && typeof p.expiresAt === 'number'
    return ok ? c : null
  } catch {
    return null
  }
}

async function payWithWork(deps: Deps, purpose: CostPurpose, field: string, solution: string): Promise<void> {
  const challenge = readChallenge(field)
  const solved = /^([0-9]{1,10}):([0-9a-f]{64})$/.exec(solution)
  if (!challenge || !solved) throw refuse('invalid')
  // Checked here against our clock too: altcha-lib reads the system's.
  const expiresAt = challenge.parameters.expiresAt! * 1000
  if (deps.now() > expiresAt) throw refuse('expired')
  let verified = false
  try {
    // Only the HMAC path runs: a challenge without our key signature fails its signature check
    // before anything could be derived.
    const r = await verifySolution({
      challenge,
      solution: { counter: Number(solved[1]), derivedKey: solved[2]! },
      deriveKey,
      hmacSignatureSecret: deps.costs.secrets.powSignature,
      hmacKeySignatureSecret: deps.costs.secrets.powKey,
    })
    if (r.expired) throw refuse('expired')
    verified = r.verified
  } catch (e) {
    if (e instanceof DomainError) throw e
    verified = false // malformed parameters (not hex, …): not ours
  }
  if (!verified) throw refuse('invalid')
  // Signed by us: from here on what the challenge says is true.
  if (challenge.parameters.data?.purpose !== purpose) throw refuse('wrong-purpose')
  const spent = await deps.costs.spend(challenge.parameters.nonce, expiresAt)
  if (spent !== 'ok') throw refuse(spent)
}

async function payWithPuzzle(deps: Deps, purpose: CostPurpose, id: string, picture: string, answer: string): Promise<void> {
  // Used up before anything is compared: a wrong answer cannot be followed by another guess.
  const p = isPuzzleId(id) ? await deps.costs.take(id) : null
  if (!p || deps.now() > p.expiresAt) throw refuse('gone')
  if (p.purpose !== purpose) throw refuse('wrong-purpose')
  const n = readAnswer(answer)
  // Both compared, always, in constant time: either answer pays.
  const pictureOk = timingSafeEqual(answerMac(deps, 'picture', readPicture(picture)), Buffer.from(p.pictureMac, 'hex'))
  const answerOk = timingSafeEqual(answerMac(deps, 'answer', n === null ? '' : String(n)), Buffer.from(p.answerMac, 'hex'))
  if (!((picture.trim() !== '' && pictureOk) || (n !== null && answerOk))) throw refuse('wrong')
}

/**
 * The picture of a live puzzle, as PNG bytes; null if there is no such puzzle (unknown, used or
 * expired); 'busy' with the refusal picture when this process has drawn its share this second.
 */
export async function drawCostPicture(deps: Deps, id: string): Promise<{ png: Uint8Array; busy: boolean } | null> {
  const text = isPuzzleId(id) ? await deps.costs.picture(id) : null
  if (!text) return null
  if (!(await deps.drawBudget.take())) return { png: await busyPicture(), busy: true }
  return { png: await drawPicture(text), busy: false }
}
