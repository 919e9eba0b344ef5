import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// Control characters other than tab and newline have no place in a post; NUL in particular.
// C1 controls and the bidi overrides that can disguise text are refused too.
const FORBIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/
const FORBIDDEN_IN_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/

// Characters that show nothing: format characters (zero-width spaces and joiners, direction marks,
// the BOM, soft hyphens, word joiners), letters and marks that render blank (the Hangul fillers, the
// blank Braille pattern, the Mongolian separators, the combining grapheme joiner, the Khmer inherent
// vowels), variation selectors, and private-use characters (no glyph anyone agrees on). A title made
// of them looks empty; one with them inside looks like another title (a look-alike pseudonym).
const INVISIBLE = /[\p{Cf}\p{Co}\u115F\u1160\u3164\uFFA0\u2800\u180B-\u180F\u034F\u17B4\u17B5\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu
// Where writing needs them they are not disguise: a (non-)joiner inside a word of a script that
// joins (Persian, Arabic, the Indic scripts), a joiner inside an emoji sequence; an emoji
// presentation selector after a symbol, an ideographic variant after a Han character, a Mongolian
// variant after a Mongolian letter.
const JOINS = String.raw`\p{Script_Extensions=Arabic}\p{Script_Extensions=Syriac}\p{Script_Extensions=Nko}\p{Script_Extensions=Mongolian}\p{Script_Extensions=Devanagari}\p{Script_Extensions=Bengali}\p{Script_Extensions=Gurmukhi}\p{Script_Extensions=Gujarati}\p{Script_Extensions=Oriya}\p{Script_Extensions=Tamil}\p{Script_Extensions=Telugu}\p{Script_Extensions=Kannada}\p{Script_Extensions=Malayalam}\p{Script_Extensions=Sinhala}`
const EMOJI = String.raw`\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F`
const WRITTEN = new RegExp(
  [
    `(?<=[${JOINS}])[\\u200C\\u200D](?=[${JOINS}])`,
    `(?<=[${EMOJI}])\\u200D(?=\\p{Extended_Pictographic})`,
    String.raw`(?<=[\p{Extended_Pictographic}\p{So}])\uFE0F`,
    String.raw`(?<=\p{Script=Han})[\u{E0100}-\u{E01EF}]`,
    String.raw`(?<=\p{Script=Mongolian})[\u180B-\u180D\u180F]`,
  ].join('|'),
  'gu',
)
// Nothing visible left once these go: white space, invisible characters, marks with no letter.
const BLANK = /[\s\p{Z}\p{M}\p{Cf}\p{Co}\u115F\u1160\u3164\uFFA0\u2800\u180B-\u180F\u034F\u17B4\u17B5]/gu
// Marks on one letter: real scripts put up to four there (Hebrew points and cantillation, Tibetan
// stacks, Burmese), "Zalgo" text hundreds, which spill over the lines around it or make a cluster
// no line can wrap. Counted across the joiners and selectors that can be slipped between them.
const MAX_STACKED_MARKS = 5
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_STACKED_MARKS + 1},}`, 'u')
const BETWEEN_MARKS = /[\u200C\u200D\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu
// Emoji joined into one character: a family of four takes three joins; a longer chain is one
// character as wide as a line, which no page can wrap.
const MAX_JOINS = 4
const JOINED_CHAIN = new RegExp(`(?:[^\\s\\u200D][\\p{Emoji_Modifier}\\uFE0F]?\\u200D){${MAX_JOINS + 1},}`, 'u')

const isBlank = (text: string) => text.replace(BLANK, '') === ''

function checkMarks(field: string, text: string): void {
  if (STACKED_MARKS.test(text.replace(BETWEEN_MARKS, ''))) {
    throw new DomainError(422, t('forms.text_marks'), { [field]: t('forms.text_marks_field', { count: MAX_STACKED_MARKS }) })
  }
  if (JOINED_CHAIN.test(text)) {
    throw new DomainError(422, t('forms.text_joins'), { [field]: t('forms.text_joins_field', { count: MAX_JOINS + 1 }) })
  }
}

/**
 * The canonical form of a multi-line text, the one that is signed and stored: LF line ends,
 * no trailing white space on any line, no leading or trailing blank lines. openpgp's cleartext
 * verification returns exactly this shape, so what we sign is what a verifier gets back.
 */
export function canonicalBody(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/^\n+/, '')
    .replace(/\n+$/, '')
}

export function checkBody(field: string, raw: string, max: number): string {
  const body = canonicalBody(raw)
  if (FORBIDDEN.test(body)) throw new DomainError(400, t('forms.text_control'), { [field]: t('forms.text_control_field') })
  if (isBlank(body)) throw new DomainError(422, t('forms.text_empty'), { [field]: t('forms.text_empty_field') })
  checkMarks(field, body)
  // Published text is forever public: a private key pasted by mistake must not go out with it.
  if (holdsPrivateKey(body)) {
    const why = t('forms.text_private_key')
    throw new DomainError(422, why, { [field]: why })
  }
  if ([...body].length > max) throw new DomainError(422, t('forms.text_long'), { [field]: t('forms.text_long_field', { max, count: [...body].length }) })
  return body
}

/**
 * What a one-line field is, for its messages: each language says the whole sentence about it
 * ("The title is empty.", "La descripción está vacía."). A number is a principle of the line
 * ("Principle 3"). The English labels callers passed before (`'The name'`, `'Principle 3'`) are
 * still understood; any other label is put in the sentence as it is.
 */
export type LineWhat = 'title' | 'name' | 'description' | 'principle' | number

const KINDS = ['title', 'name', 'description', 'principle']
const LEGACY_LABELS: Record<string, string> = { 'The title': 'title', 'The name': 'name', 'The description': 'description', 'The principle': 'principle' } // i18n-exempt: the English labels older callers pass, read as kinds

function lineWhat(label: LineWhat | string): { what: string; n: number; label: string } {
  if (typeof label === 'number') return { what: 'numbered', n: label, label: '' }
  if (KINDS.includes(label)) return { what: label, n: 0, label: '' }
  if (label in LEGACY_LABELS) return { what: LEGACY_LABELS[label]!, n: 0, label: '' }
  const m = /^Principle (\d+)$/.exec(label)
  return m ? { what: 'numbered', n: Number(m[1]), label: '' } : { what: 'other', n: 0, label }
}

export function checkLine(field: string, raw: string, max: number, label: LineWhat | string = 'title'): string {
  const line = raw.trim()
  const w = lineWhat(label)
  if (FORBIDDEN_IN_LINE.test(line)) throw new DomainError(400, t('forms.line_control', w), { [field]: t('forms.line_control_field') })
  if (isBlank(line)) throw new DomainError(422, t('forms.line_empty', w), { [field]: line === '' ? t('forms.line_empty_field', w) : t('forms.line_blank_field', w) })
  if (line.replace(WRITTEN, '').match(INVISIBLE)) {
    throw new DomainError(422, t('forms.line_invisible', w), { [field]: t('forms.line_invisible_field') })
  }
  checkMarks(field, line)
  if ([...line].length > max) throw new DomainError(422, t('forms.line_long', w), { [field]: t('forms.line_long_field', { max, count: [...line].length }) })
  return line
}

export const SLUG = /^[a-z0-9][a-z0-9-]{0,31}$/

/**
 * What a form may show again after an error. A private key pasted by mistake is never sent back
 * (an error page may be cached, screenshotted or read over a shoulder): the field comes back empty.
 */
export function keepable(text: string): string {
  return holdsPrivateKey(text) ? '' : text
}

const holdsPrivateKey = (text: string) => text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')
