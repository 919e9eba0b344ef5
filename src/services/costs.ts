import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import { createChallenge, verifySolution, type Challenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import { busyPicture, canDraw, drawPicture } from '../captcha.ts'
import { COST_PURPOSES, COST_TTL_MS, makePuzzle, PICTURE_LENGTH, readAnswer, readPicture, type CostPurpose, type IssuedCost, type Puzzle } from '../domain/costs.ts'
import { DomainError } from '../domain/errors.ts'
import { IV_BYTES, open, seal, sealedBytes } from '../seal.ts'
import type { Deps } from './deps.ts'
import { t, tIn } from '../i18n/index.ts'

// A cost for a new identity (and a held key's first login; later for posting in flood mode and
// for letters), so that one client cannot take thousands. Where nothing tells people apart, work
// is the only fair price. Two ways to pay, either of which will do:
// - JavaScript on: a proof of work (altcha-lib, PBKDF2/SHA-256) that static/pow.js solves in the
//   browser while the person reads the form. Deterministic mode: the server derives the key for a
//   random counter and signs it (hmacKeySignatureSecret), so checking a solution is two HMACs,
//   never a derivation. The challenge is stateless (signed, with its purpose and expiry); what is
//   stored is only each challenge once it is spent, until it expires, so a solution pays once.
// - JavaScript off: a puzzle: a picture of letters (GET /cost/ID.png) and, for text browsers and
//   people who cannot read it, a question with a number for its answer. Stateless too: its id is
//   the puzzle itself, sealed by the server, so showing a form stores nothing that page views could
//   fill. It is spent by its first attempt, right or wrong, before anything is compared, and
//   answers are compared as MACs in constant time.
// Nothing about a challenge, an answer or a refusal is logged.

export const POW_ALGORITHM = 'PBKDF2/SHA-256'
const MAX_POW_FIELD = 2048

/** A puzzle from the system's randomness (the picture's letters and the question's numbers). */
export const randomPuzzle = (): Puzzle => makePuzzle((n) => randomInt(n))

/** The cost of one form for `purpose`, to show with it; null when ABUSE_COSTS is off. */
export async function issueCost(deps: Deps, purpose: CostPurpose): Promise<IssuedCost | null> {
  if (!deps.config.abuseCosts) return null
  const expiresAt = deps.now() + COST_TTL_MS
  // The puzzle first, before anything waits: a page's puzzles are made in the order of its forms.
  const puzzle = issuePuzzle(deps, purpose, expiresAt)
  return { purpose, pow: await issueProofOfWork(deps, purpose, expiresAt), puzzle }
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

// A puzzle's id is the puzzle, sealed with AES-256-GCM under a key of its own: a format byte (also
// authenticated), the 12-byte random IV, then the sealed purpose, expiry, answer and picture text,
// then the tag. The IV is the puzzle's nonce: it is what the spent set remembers. The id is 42
// bytes, 56 base64url characters: no padding, so one puzzle has one spelling.
const SEAL_FORMAT = 1
const SEALED_BYTES = 1 + 6 + 1 + PICTURE_LENGTH // purpose, expiry (ms), answer, picture
export const PUZZLE_ID_LENGTH = ((1 + sealedBytes(SEALED_BYTES)) * 4) / 3
const PUZZLE_ID = new RegExp(`^[A-Za-z0-9_-]{${PUZZLE_ID_LENGTH}}$`)

/** What a sealed puzzle says; `nonce` is what marks it spent. */
type OpenedPuzzle = { purpose: CostPurpose; expiresAt: number; answer: number; picture: string; nonce: string }

function sealPuzzle(deps: Deps, purpose: CostPurpose, expiresAt: number, p: Puzzle): string {
  // Only a bug makes a puzzle that does not fit: a maker that draws other letters or bigger numbers.
  if (!/^[a-z0-9]+$/.test(p.picture) || p.picture.length !== PICTURE_LENGTH || !Number.isInteger(p.answer) || p.answer < 0 || p.answer > 255) throw new Error('a puzzle that cannot be sealed')
  const plain = Buffer.alloc(SEALED_BYTES)
  plain[0] = COST_PURPOSES.indexOf(purpose)
  plain.writeUIntBE(expiresAt, 1, 6)
  plain[7] = p.answer
  plain.write(p.picture, 8, 'latin1')
  const head = Buffer.from([SEAL_FORMAT])
  return Buffer.concat([head, seal(deps.costs.secrets.puzzles, plain, head)]).toString('base64url')
}

/** The puzzle an id seals; null if it is not one the server sealed (malformed, forged, changed). */
function openPuzzle(deps: Deps, id: string): OpenedPuzzle | null {
  if (!PUZZLE_ID.test(id)) return null
  const bytes = Buffer.from(id, 'base64url')
  if (bytes[0] !== SEAL_FORMAT) return null
  const plain = open(deps.costs.secrets.puzzles, bytes.subarray(1), bytes.subarray(0, 1))
  if (!plain) return null
  // Sealed by us: from here on what the puzzle says is true.
  const purpose = COST_PURPOSES[plain[0]!]
  if (!purpose) return null // sealed for a purpose this version does not know
  return { purpose, expiresAt: plain.readUIntBE(1, 6), answer: plain[7]!, picture: plain.toString('latin1', 8), nonce: bytes.subarray(1, 1 + IV_BYTES).toString('base64url') }
}

/** A new puzzle, sealed into its id: nothing is kept until it is tried. */
export function issuePuzzle(deps: Deps, purpose: CostPurpose, expiresAt: number): IssuedCost['puzzle'] {
  const p = deps.puzzles()
  return { id: sealPuzzle(deps, purpose, expiresAt, p), question: p.question }
}

type Refusal = 'unpaid' | 'unanswered' | 'wrong' | 'invalid' | 'expired' | 'used' | 'wrong-purpose' | 'gone' | 'busy' | 'questions-spent'

const refuse = (why: Refusal) =>
  new DomainError(why === 'busy' || why === 'questions-spent' ? 429 : 422, t(`costs.refused_${why.replace('-', '_')}`), { cost: why === 'busy' ? t('costs.field_busy') : t('costs.field_new_check') })

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
  const spent = await deps.costs.spend('pow', challenge.parameters.nonce, expiresAt)
  if (spent !== 'ok') throw refuse(spent)
}

async function payWithPuzzle(deps: Deps, purpose: CostPurpose, id: string, picture: string, answer: string): Promise<void> {
  const p = openPuzzle(deps, id)
  if (!p) throw refuse('gone')
  if (deps.now() > p.expiresAt) throw refuse('expired')
  // Nothing typed in either box: no guess, so nothing to spend, and "did not match" would be wrong.
  if (picture.trim() === '' && answer.trim() === '') throw refuse('unanswered')
  // Spent before anything is compared, on every node: a wrong answer cannot be followed by another guess.
  const spent = await deps.costs.spend('puzzle', p.nonce, p.expiresAt)
  if (spent !== 'ok') throw refuse(spent === 'used' ? 'gone' : 'busy')
  if (p.purpose !== purpose) throw refuse('wrong-purpose')
  const n = readAnswer(answer)
  // Both compared, always, as MACs in constant time: either answer pays.
  const pictureOk = timingSafeEqual(answerMac(deps, 'picture', readPicture(picture)), answerMac(deps, 'picture', p.picture))
  const answerOk = timingSafeEqual(answerMac(deps, 'answer', n === null ? '' : String(n)), answerMac(deps, 'answer', String(p.answer)))
  if (picture.trim() !== '' && pictureOk) return
  if (!(n !== null && answerOk)) throw refuse('wrong')
  // Paid by the question alone: a script's work, so a few a minute on this process (Budget).
  if (!(await deps.questionBudget.take(purpose))) throw refuse('questions-spent')
}

/**
 * The picture of a puzzle, as PNG bytes; null if there is no such puzzle (forged, spent or
 * expired); 'busy' with the refusal picture when this process has drawn its share this second.
 */
export async function drawCostPicture(deps: Deps, id: string): Promise<{ png: Uint8Array; busy: boolean } | null> {
  const p = openPuzzle(deps, id)
  if (!p || deps.now() > p.expiresAt || (await deps.costs.isSpent('puzzle', p.nonce))) return null
  if (!(await deps.drawBudget.take())) {
    // In the reader's language when the picture's font has its letters (not Arabic's): else in English.
    const said = [t('costs.busy_picture_1'), t('costs.busy_picture_2')] as const
    const [first, second] = canDraw(said.join(' ')) ? said : ([tIn('en', 'costs.busy_picture_1'), tIn('en', 'costs.busy_picture_2')] as const)
    return { png: await busyPicture(first, second), busy: true }
  }
  return { png: await drawPicture(p.picture), busy: false }
}
