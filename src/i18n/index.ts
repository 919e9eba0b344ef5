import { AsyncLocalStorage } from 'node:async_hooks'
import { readdirSync, readFileSync } from 'node:fs'
import { createIntl, createIntlCache, type IntlShape } from '@formatjs/intl'

// Every sentence a person reads comes from the catalogs in ./messages/<language>/<area>.json,
// through formatjs (ICU MessageFormat: plurals, selects, numbers and dates per language). A key
// is "<area>.<name>": the file's name, then the name inside it. Each area's file exists in every
// language with the same keys (tests/unit/catalogs.test.ts).
//
// Which language a request is in is decided once per request (src/http/middleware/language.ts)
// and held here for the request's whole async life, so a view or a service's error message asks
// `t()` without every function passing the language along. The CLI decides once, at start.

export const LANGS = ['en', 'es', 'ar'] as const
/** A language readers and operators can pick. */
export type Spoken = (typeof LANGS)[number]
/** A language a request can be in: one spoken here, or the tests' pseudo-language below. */
export type Lang = Spoken | 'qps'
export const DEFAULT_LANG: Spoken = 'en'

/** Each language in its own words, for the switch that offers them (never translated). */
export const LANG_NAMES: Record<Spoken, string> = { en: 'English', es: 'Español', ar: 'العربية' }
const RTL: ReadonlySet<string> = new Set(['ar'])

/**
 * A test-only language (CELLBOARD_PSEUDO_LANG=1): English with every message wrapped in ⟦ ⟧, so a
 * test can find text on a page that did not come from the catalog. Never offered otherwise.
 */
export const PSEUDO_LANG = 'qps' as const
const pseudoOn = () => process.env.CELLBOARD_PSEUDO_LANG === '1'

/** A language code this server speaks (a choice from a cookie or a command line is checked here). */
export const isLang = (code: unknown): code is Lang => typeof code === 'string' && ((LANGS as readonly string[]).includes(code) || (code === PSEUDO_LANG && pseudoOn()))
export const dirOf = (lang: Lang): 'rtl' | 'ltr' => (RTL.has(lang) ? 'rtl' : 'ltr')

export type Catalog = Record<string, string>
const messagesDir = new URL('./messages/', import.meta.url)

/** One language's catalog, every area's file merged under "<area>.<name>" keys. */
export function loadCatalog(lang: string): Catalog {
  const dir = new URL(`${lang}/`, messagesDir)
  const out: Catalog = {}
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const area = file.slice(0, -'.json'.length)
    const entries = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, string>
    for (const [name, message] of Object.entries(entries)) out[`${area}.${name}`] = message
  }
  return out
}

const cache = createIntlCache()
const intls = new Map<string, IntlShape<string>>()
function intlFor(lang: Lang): IntlShape<string> {
  let intl = intls.get(lang)
  if (!intl) {
    const pseudo = lang === PSEUDO_LANG
    const catalog = pseudo ? Object.fromEntries(Object.entries(loadCatalog('en')).map(([k, m]) => [k, `⟦${m}⟧`])) : loadCatalog(lang)
    intl = createIntl(
      {
        locale: pseudo ? 'en' : lang,
        messages: catalog,
        // A missing key is a bug the catalog tests catch; at run time the key itself shows.
        onError: (e) => {
          if (e.code !== 'MISSING_TRANSLATION') console.error(`cellboard: i18n: ${e.message}`) // i18n-exempt: a broken catalog, for the operator, in the catalog's own terms
        },
      },
      cache,
    )
    intls.set(lang, intl)
  }
  return intl
}

const current = new AsyncLocalStorage<Lang>()
let fallback: Lang = DEFAULT_LANG

// On Node 20 an AsyncLocalStorage in use turns on async hooks for the whole process: every
// callback and async resource then pays for context tracking, a third more CPU for a page sent
// straight from the cache that never asks for a language (measured on bare node:http, issue 15).
// So it is on only while something runs in a language: the last run to end turns it off again,
// and a server answering from its cache runs without it.
let running = 0
const ended = () => {
  if (--running === 0) current.disable()
}

/** Run fn (and everything it awaits) in a language. */
export function inLang<T>(lang: Lang, fn: () => T): T {
  running++
  let result: T
  try {
    result = current.run(lang, fn)
  } catch (e) {
    ended()
    throw e
  }
  if (result instanceof Promise) return result.finally(ended) as T
  ended()
  return result
}
/** The language outside any request (the CLI's, from its environment). */
export const setFallbackLang = (lang: Lang) => void (fallback = lang)
/** The language of the request (or command) being handled. */
export const lang = (): Lang => current.getStore() ?? fallback

export type Values = Record<string, string | number | Date>

// A message without placeholders is made once per language: formatjs looks its formatters up by
// serialising their arguments on every call, and a thread page built afresh asks for the same few
// words on every post (issue 15: per post, that tripled a page of 50 posts at 1,000,000 posts).
const made = new Map<Lang, Map<string, string>>()

/** One language's map out of a map of them, made on first use. */
function inLangMap<K, V>(maps: Map<Lang, Map<K, V>>, l: Lang): Map<K, V> {
  let m = maps.get(l)
  if (!m) maps.set(l, (m = new Map()))
  return m
}

// A message with placeholders is compiled once per language too: formatjs finds its compiled
// form again by serialising the message, locale, formats and formatters on every call (a board
// page built afresh asks for "N posts · last …" 50 times: 4.3-6.8 µs each, issue 15). What it
// cannot fill as text (a missing value, a value that is not text) goes to formatjs as before.
type Compiled = { format(values: Values): unknown }
const compiled = new Map<Lang, Map<string, Compiled | null>>()
function compiledIn(l: Lang, key: string): Compiled | null {
  const m = inLangMap(compiled, l)
  let f = m.get(key)
  if (f === undefined) {
    const intl = intlFor(l)
    const message = intl.messages[key]
    f = typeof message === 'string' ? (intl.formatters.getMessageFormat(message, intl.locale, intl.formats, { formatters: intl.formatters }) as Compiled) : null
    if (m.size >= 10_000) m.clear()
    m.set(key, f)
  }
  return f
}

/** The message `key` in the current language, with its placeholders filled. */
export function t(key: string, values?: Values): string {
  const l = lang()
  if (values !== undefined) {
    try {
      const out = compiledIn(l, key)?.format(values)
      if (typeof out === 'string') return out
    } catch {
      // formatjs says what went wrong, below.
    }
    return intlFor(l).formatMessage({ id: key }, values) as string
  }
  const m = inLangMap(made, l)
  let s = m.get(key)
  if (s === undefined) {
    if (m.size >= 10_000) m.clear()
    m.set(key, (s = intlFor(l).formatMessage({ id: key }) as string))
  }
  return s
}

/** The same in a given language: text stored for a cell (its decision log, a retitled thread) in the cell's language. */
export function tIn(l: Lang, key: string, values?: Values): string {
  return intlFor(l).formatMessage({ id: key }, values) as string
}

/** A number as the current language writes it. */
export const num = (n: number): string => intlFor(lang()).formatNumber(n)

const WHEN: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short', hourCycle: 'h23' }
const DAY: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }

// One Intl.DateTimeFormat per language and kind, made once: formatjs's formatDate finds its
// formatter by serialising the options on every call (6.5 µs a time against 1.5 for the format
// itself), and a thread page built afresh on a large board has up to 200 times no other page shared.
const dateFormats = new Map<string, Intl.DateTimeFormat>()
function dateFormat(l: Lang, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${l}:${options === WHEN ? 'when' : 'day'}`
  let f = dateFormats.get(key)
  if (!f) dateFormats.set(key, (f = new Intl.DateTimeFormat(intlFor(l).locale, options)))
  return f
}
function formatDate(l: Lang, options: Intl.DateTimeFormatOptions, iso: string): string {
  const date = new Date(iso)
  // What formatjs does with a date it cannot read (reports it, shows it as it came) stays its own.
  if (Number.isNaN(date.getTime())) return intlFor(l).formatDate(iso, options)
  return dateFormat(l, options).format(date)
}

// A published time is a day and an hour (and minute). Formatting it is 1.5 µs, 50 to 200 times on a
// thread page built afresh, and a board's two years hold 17,520 hours: too many to keep each
// (issue 15, at 1,000,000 posts formatting was a fifth of building a page). So each language's
// text is taken apart once per day, around its hour and minute, and the 24 hours and 60 minutes
// once, each as that language writes them (its own digits); a time is then put together from them.
// A language whose text does not read "… hour … minute …" is formatted whole, as before.
type DayText = { before: string; between: string; after: string }
type Clock = { hours: string[]; minutes: string[] } | null
const DAY_MS = 86_400_000
const clocks = new Map<Lang, Clock>()
const days = new Map<Lang, Map<number, DayText>>()
function clockOf(l: Lang): Clock {
  let clock = clocks.get(l)
  if (clock !== undefined) return clock
  const f = dateFormat(l, WHEN)
  const part = (at: number, type: string) => f.formatToParts(at).find((p) => p.type === type)?.value
  const hours = Array.from({ length: 24 }, (_, h) => part(Date.UTC(2000, 0, 1, h), 'hour'))
  const minutes = Array.from({ length: 60 }, (_, m) => part(Date.UTC(2000, 0, 1, 0, m), 'minute'))
  clock = hours.every((h) => h !== undefined) && minutes.every((m) => m !== undefined) ? { hours: hours as string[], minutes: minutes as string[] } : null
  clocks.set(l, clock)
  return clock
}
function dayText(l: Lang, day: number): DayText | null {
  const m = inLangMap(days, l)
  let text = m.get(day)
  if (text === undefined) {
    const parts = dateFormat(l, WHEN).formatToParts(day)
    const h = parts.findIndex((p) => p.type === 'hour')
    const min = parts.findIndex((p) => p.type === 'minute')
    if (h < 0 || min < h || parts.findIndex((p, i) => i !== h && i !== min && (p.type === 'hour' || p.type === 'minute' || p.type === 'dayPeriod')) >= 0) return null
    const join = (from: number, to: number) => parts.slice(from, to).map((p) => p.value).join('')
    text = { before: join(0, h), between: join(h + 1, min), after: join(min + 1, parts.length) }
    if (m.size >= 5_000) m.clear()
    m.set(day, text)
  }
  return text
}

/**
 * A published time (ISO, already coarse: src/domain/time.ts) as the current language writes a
 * date and an hour, in UTC, with nothing finer than the stored time.
 */
export function when(iso: string): string {
  const l = lang()
  const at = Date.parse(iso)
  const clock = Number.isNaN(at) ? null : clockOf(l)
  const ofDay = (((at % DAY_MS) + DAY_MS) % DAY_MS) // ms since the day's midnight, UTC (before 1970 too)
  const text = clock && dayText(l, at - ofDay)
  if (!clock || !text) return formatDate(l, WHEN, iso)
  return text.before + clock.hours[Math.floor(ofDay / 3_600_000)]! + text.between + clock.minutes[Math.floor(ofDay / 60_000) % 60]! + text.after
}

/** A day alone (a deadline's date, a key's expiry). */
export function day(iso: string): string {
  return formatDate(lang(), DAY, iso)
}

/** The CLI's language: CELLBOARD_LANG, else the locale's (LC_ALL, LC_MESSAGES, LANG: "es_ES.UTF-8" is es), else English. */
export function langOfEnvironment(env: NodeJS.ProcessEnv): Lang {
  for (const v of [env.CELLBOARD_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG]) {
    const code = v?.split(/[_.@-]/)[0]?.toLowerCase()
    if (code && isLang(code)) return code
  }
  return DEFAULT_LANG
}
