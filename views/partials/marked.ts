import { lang, PSEUDO_LANG, t, type Values } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'

type Part = Html | ((inner: Html) => Html)
type Parts = { [name: string]: Part }

/**
 * A catalog sentence with markup inside it, the sentence kept whole for its translators: each
 * `{name}` of `parts` given as Html (a <code> command line, a link) and each `<name>…</name>` tag
 * in the message wrapped by its function. Everything else the message says is escaped text, and
 * `values` are plain strings as for t(). No raw(): the markup comes only from `parts`.
 *
 * In the tests' pseudo-language, where t() wraps a whole message in ⟦ ⟧, each run of the
 * message's text between markup is wrapped instead, so that every text node a page has still says
 * it came from the catalog (tests/http/every-page-in-catalog.test.ts reads the page node by node).
 */
export function tMarked(key: string, parts: Parts, values: Values = {}): Html {
  const names = Object.keys(parts)
  const marks: { [name: string]: unknown } = {}
  names.forEach((name, i) => {
    const part = parts[name]!
    marks[name] = typeof part === 'function' ? (chunks: string[]) => `\u0003${i}\u0002${chunks.join('')}\u0004` : `\u0001${i}\u0002`
  })
  // The markers below are control characters: a value cannot carry one in (text checks refuse
  // them, but names and older stored text were not all checked), or it could call in a part.
  const plain = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/[\u0001-\u0004]/g, '') : v]))
  const pseudo = lang() === PSEUDO_LANG
  // With tag functions among the values, formatjs may answer with the pieces in an array.
  const out = t(key, { ...plain, ...(marks as Values) }) as unknown
  let text = Array.isArray(out) ? out.join('') : String(out)
  if (pseudo && text.startsWith('⟦') && text.endsWith('⟧')) text = text.slice(1, -1)
  const said = (s: string) => (pseudo && s.trim() !== '' ? `⟦${s}⟧` : s)
  const pieces: (string | Html)[] = []
  let last = 0
  for (const m of text.matchAll(/\u0001(\d+)\u0002|\u0003(\d+)\u0002([\s\S]*?)\u0004/g)) {
    pieces.push(said(text.slice(last, m.index)))
    if (m[1] !== undefined) pieces.push(parts[names[Number(m[1])]!] as Html)
    else pieces.push((parts[names[Number(m[2])]!] as (inner: Html) => Html)(html`${said(m[3]!)}`))
    last = m.index + m[0].length
  }
  pieces.push(said(text.slice(last)))
  return html`${pieces}`
}
