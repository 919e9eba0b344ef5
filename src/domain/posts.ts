import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// How a post was signed: by a disposable key the server holds (a session's, or one made to publish
// a decision: services/questions/kinds.ts), in the browser, by GnuPG (pasted), or not at all (the
// session proved the key).
export const SIGNINGS = ['disposable', 'browser', 'gpg-signed', 'session-attested'] as const
export type Signing = (typeof SIGNINGS)[number]

/**
 * The text a post's signature covers. It binds the body to this site, the cell, the board and
 * the thread ("new" when the post starts one), so a signature cannot be replayed elsewhere.
 * It never contains the post's own id: a browser or gpg signs before the server assigns one.
 */
export type PostText = { site: string; cell: string; board: string; thread: number | 'new'; title: string | null; body: string }

const HEADER = 'cellboard post v1'

export function canonicalPostText(p: PostText): string {
  const lines = [HEADER, `site: ${p.site}`, `cell: ${p.cell}`, `board: ${p.board}`, `thread: ${p.thread}`]
  if (p.title !== null) lines.push(`title: ${p.title}`)
  return `${lines.join('\n')}\n\n${p.body}`
}

export function parsePostText(text: string): PostText {
  const split = text.indexOf('\n\n')
  if (split < 0) throw new DomainError(422, t('thread.signed_not_post'))
  const head = text.slice(0, split).split('\n')
  if (head[0] !== HEADER) throw new DomainError(422, t('thread.signed_header', { header: HEADER }))
  const fields = new Map<string, string>()
  for (const line of head.slice(1)) {
    const m = /^([a-z]+): (.*)$/.exec(line)
    if (!m || fields.has(m[1]!)) throw new DomainError(422, t('thread.signed_malformed'))
    fields.set(m[1]!, m[2]!)
  }
  const need = (k: string) => {
    const v = fields.get(k)
    if (v === undefined) throw new DomainError(422, t('thread.signed_no_line', { line: `${k}:` }))
    return v
  }
  return {
    site: need('site'),
    cell: need('cell'),
    board: need('board'),
    thread: parseThread(need('thread')),
    title: fields.get('title') ?? null,
    body: text.slice(split + 2),
  }
}

function parseThread(v: string): number | 'new' {
  if (v === 'new') return 'new'
  if (!/^[1-9][0-9]{0,15}$/.test(v)) throw new DomainError(422, t('thread.signed_no_thread'))
  return Number(v)
}

/** Characters an excerpt of an opening post shows on its board's page. */
export const EXCERPT_CHARS = 140

/**
 * The start of a post as plain text for a list: its words as a reader sees them (never HTML: views
 * escape it like any text), whitespace folded to single spaces, cut between words near `max`
 * characters, "…" when cut. `cut`: `text` is itself only the start of the post's text, so it ends
 * with "…" even when short, without its last word (which may be cut).
 */
export function excerptOf(text: string, max = EXCERPT_CHARS, cut = false): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= max) {
    if (!cut) return flat
    const space = flat.lastIndexOf(' ')
    return space > 0 ? `${flat.slice(0, space)} …` : '…'
  }
  let end = max
  for (let i = 0; i < 30 && end > 0 && flat[end] !== ' '; i++) end--
  if (flat[end] !== ' ') end = max
  if (/[\uDC00-\uDFFF]/.test(flat[end] ?? '')) end-- // never inside a surrogate pair
  return `${flat.slice(0, end).trimEnd()} …`
}
