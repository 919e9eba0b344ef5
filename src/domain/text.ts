import { DomainError } from './errors.ts'

// Control characters other than tab and newline have no place in a post; NUL in particular.
// C1 controls and the bidi overrides that can disguise text are refused too.
const FORBIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/
const FORBIDDEN_IN_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/

// Characters that show nothing: format characters (zero-width spaces and joiners, direction marks,
// the BOM, soft hyphens, word joiners), and letters that render blank (the Hangul fillers, the
// blank Braille pattern, the Mongolian vowel separator, the combining grapheme joiner). A title made
// of them looks empty; one with them inside looks like another title (a look-alike pseudonym).
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0\u2800\u180E\u034F]/gu
// A zero-width (non-)joiner between two visible characters is writing, not disguise: Persian needs
// the non-joiner inside words, emoji families are joined with the joiner.
const JOINER_IN_WORD = /(?<=[\p{L}\p{M}\p{N}\p{So}])[\u200C\u200D](?=[\p{L}\p{M}\p{N}\p{So}])/gu
// Nothing visible left once these go: white space, invisible characters, marks with no letter.
const BLANK = /[\s\p{Z}\p{M}\p{Cf}\u115F\u1160\u3164\uFFA0\u2800\u180E\u034F]/gu
// Marks stacked on one letter: real scripts stack up to four (Hebrew points and cantillation,
// Tibetan, Vietnamese two); "Zalgo" text stacks hundreds and spills over the lines around it.
const MAX_STACKED_MARKS = 5
const STACKED_MARKS = new RegExp(`[\\p{Mn}\\p{Me}]{${MAX_STACKED_MARKS + 1},}`, 'u')

const isBlank = (text: string) => text.replace(BLANK, '') === ''

function checkMarks(field: string, text: string): void {
  if (STACKED_MARKS.test(text)) {
    throw new DomainError(422, 'The text stacks too many marks on one letter.', { [field]: `At most ${MAX_STACKED_MARKS} accents or marks on one letter; remove the rest.` })
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
  if (line.replace(JOINER_IN_WORD, '').match(INVISIBLE)) {
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
