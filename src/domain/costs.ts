import { lang, LANGS, t, type Spoken } from '../i18n/index.ts'
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

const ES_UNITS = ['cero', 'uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve', 'diez', 'once', 'doce', 'trece', 'catorce', 'quince', 'dieciséis', 'diecisiete', 'dieciocho', 'diecinueve', 'veinte', 'veintiuno', 'veintidós', 'veintitrés', 'veinticuatro', 'veinticinco', 'veintiséis', 'veintisiete', 'veintiocho', 'veintinueve']
const ES_TENS = ['', '', 'veinte', 'treinta', 'cuarenta']
const AR_UNITS = ['صفر', 'واحد', 'اثنان', 'ثلاثة', 'أربعة', 'خمسة', 'ستة', 'سبعة', 'ثمانية', 'تسعة', 'عشرة', 'أحد عشر', 'اثنا عشر', 'ثلاثة عشر', 'أربعة عشر', 'خمسة عشر', 'ستة عشر', 'سبعة عشر', 'ثمانية عشر', 'تسعة عشر']
const AR_TENS = ['', '', 'عشرون', 'ثلاثون', 'أربعون']

/** A number from 0 to 49 in words, as a question says it ("twenty-three", "veintitrés", "ثلاثة وعشرون"). */
export function numberInWords(n: number, lang: Spoken = 'en'): string {
  if (lang === 'es') return n < 30 ? ES_UNITS[n]! : n % 10 === 0 ? ES_TENS[n / 10]! : `${ES_TENS[Math.floor(n / 10)]} y ${ES_UNITS[n % 10]}`
  if (lang === 'ar') return n < 20 ? AR_UNITS[n]! : n % 10 === 0 ? AR_TENS[n / 10]! : `${AR_UNITS[n % 10]} و${AR_TENS[Math.floor(n / 10)]}`
  if (n < 20) return UNITS[n]!
  return n % 10 === 0 ? TENS[n / 10]! : `${TENS[Math.floor(n / 10)]}-${UNITS[n % 10]}`
}

/** A word as compared: lower case, without accents, hamzas on alif, hyphens or spaces ("veintitres", "twenty one", "واحد و عشرون"). */
const wordKey = (w: string) => w.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f\u064b-\u0652]/g, '').normalize('NFC').replace(/[أإآ]/g, 'ا').replace(/[-\s]+/g, '')

// Answers are read in any language a question can be asked in, whatever the page's language now.
const WORDS = new Map(LANGS.flatMap((l) => Array.from({ length: 50 }, (_, n) => [wordKey(numberInWords(n, l)), n] as const)))

/** A typed answer to a question as a number, in digits (Western or Arabic-Indic) or words ("12", "twelve", "Twenty one.", "doce", "١٢"); null if it is neither. */
export function readAnswer(typed: string): number | null {
  const t = typed.trim().toLowerCase().replace(/[.!؟?]+$/, '').replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace(/\s+/g, ' ').trim()
  if (/^[0-9]{1,3}$/.test(t)) return Number(t)
  return WORDS.get(wordKey(t)) ?? null
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
  // In the language of the page it is made for (the tests' pseudo-language asks in English).
  const l = lang()
  const said = (n: number) => numberInWords(n, l === 'qps' ? 'en' : l)
  const [x, y] = [said(a), said(b)]
  switch (randomInt(4)) {
    case 0: return { question: t('costs.q_plus', { x, y }), answer: a + b }
    case 1: return { question: t('costs.q_add', { x, y }), answer: a + b }
    case 2: return a > b ? { question: t('costs.q_minus', { x, y }), answer: a - b } : { question: t('costs.q_minus', { x: y, y: x }), answer: b - a }
    default: return a > b ? { question: t('costs.q_take', { x, y }), answer: a - b } : { question: t('costs.q_take', { x: y, y: x }), answer: b - a }
  }
}

/** A puzzle from a source of randomness: the picture's letters and a question. */
export function makePuzzle(randomInt: (n: number) => number): Puzzle {
  let picture = ''
  for (let i = 0; i < PICTURE_LENGTH; i++) picture += PICTURE_LETTERS[randomInt(PICTURE_LETTERS.length)]
  return { picture, ...makeQuestion(randomInt) }
}
