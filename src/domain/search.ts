import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// Search (issue 13): what a query is, and how a result shows where it matched. A query is never
// passed to the full-text engine as written: it is cut into words here, and each word goes to
// FTS5 as a quoted phrase (so `"`, AND, NEAR(, * are just text) and to PostgreSQL through
// plainto_tsquery. Every word must match (AND), in the post's body or in its thread's title.

export const RESULTS_PER_PAGE = 20
/** Deep pages cost more on every engine and nobody reads them: refine the query instead. */
export const MAX_PAGES = 10
/**
 * On SQLite, the matches looked through on each side (bodies, titles), newest first on the boards
 * the reader may read anywhere on the site, before an answer with fewer than a page is called
 * partial (db/search-sqlite.ts says why).
 */
export const SEARCH_WALK = 10_000
/**
 * On SQLite, the matches on boards the reader may not read that a side passes over (uncounted, so
 * they change nothing in the answer) before it stops: only past this many can they make it partial.
 */
export const SEARCH_PASS_OVER = 10_000
export const MAX_QUERY_CHARS = 200
/**
 * Searches a node runs at once, and how many more may wait their turn; the rest are told it is
 * busy (503, Retry-After: SEARCH_RETRY_AFTER_S). One at a time: a page the cache has not kept then
 * waits behind one search on the reader at most, not behind every search asked for at once
 * (tests/http/search-crowd.test.ts; bench/search.ts measures it). These are the defaults; an
 * operator sets them with SEARCHES_AT_ONCE and SEARCHES_WAITING (config.ts; the README says when more helps).
 */
export const SEARCHES_AT_ONCE = 1
export const SEARCHES_WAITING = 4
export const SEARCH_RETRY_AFTER_S = 2
/** How long a search may hold its place (ephemeral/gate.ts); a search takes ~3–110 ms at 1,000,000 posts. */
export const SEARCH_DEADLINE_MS = 10_000
export const MAX_TERMS = 8

// A word: letters, digits, marks (Devanagari, Arabic vowels), and the (non-)joiners inside words
// (Persian). Everything else separates words — as FTS5's unicode61 and PostgreSQL's parser do.
const WORD = /[\p{L}\p{N}\p{M}\u200C\u200D]+/gu

export type SearchQuery = { text: string; terms: string[] }

/** Folded as both engines compare: case does not matter; accents do (PostgreSQL's 'simple' keeps them). */
export const fold = (w: string) => w.normalize('NFC').toLowerCase()

const refuse = (message: string) => new DomainError(422, message, { q: message })

/** The words of a query, or a refusal a person understands (shown beside the search field). */
export function parseSearchQuery(raw: string): SearchQuery {
  const text = raw.trim()
  if (text.length > MAX_QUERY_CHARS) throw refuse(t('search.too_long', { max: MAX_QUERY_CHARS }))
  if (text === '') throw refuse(t('search.empty'))
  const words = text.match(WORD) ?? []
  const terms = [...new Set(words.map((w) => w.toLowerCase()).filter((w) => fold(w) !== ''))]
  if (terms.length === 0) throw refuse(t('search.no_words'))
  if (terms.length > MAX_TERMS) throw refuse(t('search.too_many_words', { max: MAX_TERMS }))
  return { text, terms }
}

/** The FTS5 MATCH expression: each word one quoted phrase, all required. */
export const fts5Match = (terms: string[]) => terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' ')

/** A piece of shown text, marked where it matched. Views escape each piece, then wrap marked ones. */
export type Piece = { text: string; mark: boolean }

const SNIPPET_CHARS = 240

/**
 * Where a text matched: the words of the query marked, around the first match, cut to about
 * SNIPPET_CHARS characters (whole text when shorter). Built from the plain text the poster wrote,
 * never from stored HTML.
 */
export function markMatches(text: string, terms: string[], max = SNIPPET_CHARS): Piece[] {
  const wanted = new Set(terms.map(fold))
  const matches: { start: number; end: number }[] = []
  for (const m of text.matchAll(WORD)) if (wanted.has(fold(m[0]))) matches.push({ start: m.index, end: m.index + m[0].length })
  let from = 0
  let to = text.length
  if (text.length > max) {
    const first = matches[0]?.start ?? 0
    from = Math.max(0, first - Math.floor(max / 3))
    to = Math.min(text.length, from + max)
    from = Math.max(0, to - max)
    // Cut between words where one is near, and never inside a surrogate pair.
    for (let i = 0; i < 20 && from > 0 && /\S/.test(text[from - 1]!); i++) from--
    for (let i = 0; i < 20 && to < text.length && /\S/.test(text[to]!); i++) to++
    if (/[\uDC00-\uDFFF]/.test(text[from] ?? '')) from--
    if (/[\uDC00-\uDFFF]/.test(text[to] ?? '')) to++
  }
  const pieces: Piece[] = []
  const push = (s: string, mark: boolean) => {
    if (s) pieces.push({ text: s.replace(/\s+/g, ' '), mark })
  }
  if (from > 0) push('… ', false)
  let at = from
  for (const m of matches) {
    if (m.start < from || m.end > to) continue
    push(text.slice(at, m.start), false)
    push(text.slice(m.start, m.end), true)
    at = m.end
  }
  push(text.slice(at, to), false)
  if (to < text.length) push(' …', false)
  return pieces
}
