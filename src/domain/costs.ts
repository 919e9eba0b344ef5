// A cost for an action anyone can repeat at no cost to themselves (taking an identity, a held key's
// first login, posting on a board in flood mode; later letters): with JavaScript on, a proof of work the
// browser solves by itself; with it off, a picture to read or a question to answer. Each cost is
// issued for one purpose, so a solution made for one form pays for no other.
export const COST_PURPOSES = ['identity', 'login', 'post', 'letter'] as const
export type CostPurpose = (typeof COST_PURPOSES)[number]

/** How long an issued cost can be paid. */
export const COST_TTL_MS = 10 * 60_000

/**
 * What a form shows to be paid: the proof-of-work challenge (signed by the server), and a picture
 * with its question, whose id is the puzzle sealed by the server. Neither is stored until it is spent.
 */
export type IssuedCost = { purpose: CostPurpose; pow: string; puzzle: { id: string; question: string } }

/** A captcha: the text drawn in the picture, and a question with a number for its answer. */
export type Puzzle = { picture: string; question: string; answer: number }
export type PuzzleMaker = () => Puzzle

// Letters and digits that cannot be taken for one another in the picture (no 0/o, 1/l/i, 9/g).
export const PICTURE_LETTERS = 'abcdefhjkmnpqrstuvwxyz2345678'
export const PICTURE_LENGTH = 5

const UNITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen']
const TENS = ['', '', 'twenty', 'thirty', 'forty']

/** A number from 0 to 49 in words, as a question says it ("twenty-three"). */
export function numberInWords(n: number): string {
  if (n < 20) return UNITS[n]!
  return n % 10 === 0 ? TENS[n / 10]! : `${TENS[Math.floor(n / 10)]}-${UNITS[n % 10]}`
}

const WORDS = new Map(Array.from({ length: 50 }, (_, n) => [numberInWords(n), n]))

/** A typed answer to a question as a number, in digits or words ("12", "twelve", "Twenty one."); null if it is neither. */
export function readAnswer(typed: string): number | null {
  const t = typed.trim().toLowerCase().replace(/[.!]+$/, '').replace(/\s+/g, ' ').trim()
  if (/^[0-9]{1,3}$/.test(t)) return Number(t)
  return WORDS.get(t.replace(/ /g, '-')) ?? null
}

/** What a typed picture text is compared as: case and spaces do not matter. */
export const readPicture = (typed: string): string => typed.toLowerCase().replace(/\s+/g, '')

/**
 * A question a text browser can show and a person answers by typing a number: a sum or a
 * difference of two numbers written in words. `randomInt(n)` gives 0 ≤ x < n.
 */
export function makeQuestion(randomInt: (n: number) => number): { question: string; answer: number } {
  const a = 2 + randomInt(19) // 2–20
  const b = 2 + randomInt(8) // 2–9
  const [x, y] = [numberInWords(a), numberInWords(b)]
  switch (randomInt(4)) {
    case 0: return { question: `What is ${x} plus ${y}?`, answer: a + b }
    case 1: return { question: `Add ${y} to ${x}. What do you get?`, answer: a + b }
    case 2: return a > b ? { question: `What is ${x} minus ${y}?`, answer: a - b } : { question: `What is ${y} minus ${x}?`, answer: b - a }
    default: return a > b ? { question: `Take ${y} away from ${x}. How many are left?`, answer: a - b } : { question: `Take ${x} away from ${y}. How many are left?`, answer: b - a }
  }
}

/** A puzzle from a source of randomness: the picture's letters and a question. */
export function makePuzzle(randomInt: (n: number) => number): Puzzle {
  let picture = ''
  for (let i = 0; i < PICTURE_LENGTH; i++) picture += PICTURE_LETTERS[randomInt(PICTURE_LETTERS.length)]
  return { picture, ...makeQuestion(randomInt) }
}
