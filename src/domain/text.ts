import { DomainError } from './errors.ts'

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
    throw new DomainError(422, 'The text stacks too many marks on one letter.', { [field]: `At most ${MAX_STACKED_MARKS} accents or marks on one letter; remove the rest.` })
  }
  if (JOINED_CHAIN.test(text)) {
    throw new DomainError(422, 'The text joins too many emoji into one.', { [field]: `At most ${MAX_JOINS + 1} emoji joined into one; put spaces between the rest.` })
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
  if (FORBIDDEN.test(body)) throw new DomainError(400, 'The text contains control characters.', { [field]: 'Remove control characters (such as NUL) from the text.' })
  if (isBlank(body)) throw new DomainError(422, 'The text is empty.', { [field]: 'Write something first (invisible characters alone do not count).' })
  checkMarks(field, body)
  // Published text is forever public: a private key pasted by mistake must not go out with it.
  if (holdsPrivateKey(body)) {
    const why = 'This held a private key, so it was not posted and the box is empty again. Never paste a private key anywhere.'
    throw new DomainError(422, why, { [field]: why })
  }
  if ([...body].length > max) throw new DomainError(422, 'The text is too long.', { [field]: `At most ${max.toLocaleString('en')} characters; this has ${[...body].length.toLocaleString('en')}.` })
  return body
}

export function checkLine(field: string, raw: string, max: number, label = 'The title'): string {
  const line = raw.trim()
  if (FORBIDDEN_IN_LINE.test(line)) throw new DomainError(400, `${label} contains control characters or line breaks.`, { [field]: 'Use a single line without control characters.' })
  if (isBlank(line)) throw new DomainError(422, `${label} is empty.`, { [field]: line === '' ? `${label} cannot be empty.` : `${label} cannot be empty: invisible characters alone do not count.` })
  if (line.replace(WRITTEN, '').match(INVISIBLE)) {
    throw new DomainError(422, `${label} contains invisible characters.`, { [field]: 'Remove invisible characters (zero-width spaces, direction marks, fillers): they can make one name look like another.' })
  }
  checkMarks(field, line)
  if ([...line].length > max) throw new DomainError(422, `${label} is too long.`, { [field]: `At most ${max} characters; this has ${[...line].length}.` })
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
