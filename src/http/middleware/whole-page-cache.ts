import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { Deps } from '../../services/deps.ts'
import type { Session } from '../../ephemeral/sessions.ts'
import { cacheKey, cacheTag, type CachedPart, type CacheKey } from '../../services/page-cache.ts'
import { cookieName, readCookie } from '../cookies.ts'
import { isLang } from '../../i18n/index.ts'
import type { AppEnv } from '../env.ts'
import { acceptsDeflate, acceptsGzip } from '../compression.ts'
import { pageHeaders, partFor, sendPart } from './security-headers.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'

type PageDeps = Pick<Deps, 'cache' | 'config' | 'sessions' | 'now'>

/**
 * The cache key of a GET's address, for pages the same for every reader without a session: the
 * path, and at most a page number (other queries would only fill the cache with copies).
 */
export function addressKey(c: Context, langCookie: string): CacheKey | null {
  const url = c.req.url
  const q = url.indexOf('?')
  return addressKeyOf(c.req.path, q >= 0 ? url.slice(q) : '', chosenLang(c.req.header('cookie'), langCookie))
}

function addressKeyOf(path: string, query: string, chosen: string | null): CacheKey | null {
  if (chosen === null || (query !== '' && !/^\?page=[1-9][0-9]{0,5}$/.test(query))) return null
  return cacheKey.address(chosen, `${path}${query}`)
}

/**
 * The language a reader picked, as the language middleware will read it from the same header
 * (hono's cookie parser): '' for none, or one not spoken here. null when the header says it in a
 * way only a full parser reads (quoted, %-escaped, with spaces, twice): such a request neither
 * gets nor leaves a whole page, so no reader can decide the language others are given.
 */
function chosenLang(cookie: string | undefined, langCookie: string): string | null {
  if (!cookie || !cookie.includes(langCookie)) return ''
  let value: string | null = null
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=')
    if ((eq < 0 ? part : part.slice(0, eq)).trim() !== langCookie) continue
    if (value !== null) return null
    value = eq < 0 ? '' : part.slice(eq + 1)
  }
  if (value === null || value === '') return ''
  if (!/^[a-z]{2,3}$/.test(value)) return null
  return isLang(value) ? value : ''
}

/** A whole page kept for readers without a session, sent again by the app (here, and render.ts for another address of it). */
export function sendKept(c: Context<AppEnv>, whole: CachedPart<unknown>) {
  whole.readAgain?.()
  return sendPart(c, 200, whole)
}

/** Keep a whole page under its address too, for the next reader without a session (below). */
export function keepByAddress(c: Context, deps: Pick<Deps, 'cache' | 'config'>, whole: CachedPart<unknown>, since: number): void {
  const key = addressKey(c, cookieName(deps.config, 'lang'))
  if (key && !deps.cache.get(key)) deps.cache.set(key, whole, since)
}

/**
 * The page cached whole for this request, if it may have one: a GET by a reader with no session
 * (a session cookie may have expired, which the page would say), without htmx, for an address
 * kept whole. One rule for the middleware and for main.ts's earlier answer below.
 */
function wholeFor(deps: Pick<Deps, 'cache' | 'config'>, session: string, r: { method?: string; htmx: boolean; cookie?: string; path: string; query: string }): CachedPart<unknown> | undefined {
  if (r.method !== 'GET' || r.htmx || r.cookie?.includes(session)) return undefined
  const key = addressKeyOf(r.path, r.query, chosenLang(r.cookie, cookieName(deps.config, 'lang')))
  return key ? deps.cache.get(key) : undefined
}

// A reader's own page (issue 15: a logged-in thread page was 0.19× an anonymous one, built per
// request). Its head and foot carry the reader's identity, the count of questions waiting for
// their ballot, and a form token; the middle is the cached part everyone gets. The whole page, as
// sent (deflated around its secrets, or not), is kept for OWN_PAGE_MS under the reader's session,
// language, encoding and address, and sent again as it is while:
// - the session is live and holds the same key (a burn, a new identity or an idle end drop it);
// - the browser sends the same form-token cookie the page's token was made for;
// - nothing it was built from was written (it carries the middle's tags: a post, a removal, a
//   purge drop it with the middle, on every node);
// - the session sent no form since (any POST with its cookie drops its pages here first).
// What no write announces (the open-question count after another node's change, the end of a flood,
// a tier the operator changed) shows within OWN_PAGE_MS, as the header's count already did. A page
// in flood (its form carries a one-time cost), a preview, a refused form or one that set a cookie
// is never kept. Kept in this process's memory only, like the sessions; the same token sent again
// is still this browser's (the idempotency key still tells a double click from new text).
export const OWN_PAGE_MS = 10_000

/** The hash a reader's own pages are kept under: never the session id itself. */
export const ownPageHash = (sid: string) => createHash('sha256').update(`own-page:${sid}`).digest('base64url').slice(0, 22)

/**
 * What a Cookie header says for a reader's own pages (its session, form-token cookie and chosen
 * language, and the session's hash), remembered for the headers seen lately: reading it anew cost
 * more than the rest of a kept page's answer (5.0 µs against 0.6 for an anonymous hit, measured in
 * process by bench/own-page-hit.ts). This holds session ids, as the session store does, for no
 * longer: it is emptied whenever a session ends and this node is told (dropOwnPagesOnEnd), and
 * once a minute by a timer (a Redis session that falls idle ends without a word). Only headers of
 * the length browsers send ours in are remembered, at most 1,000 of them.
 */
type Read = { session: string; csrf: string; chosen: string; hash: string } | null
const readCookies = { secure: new Map<string, Read>(), plain: new Map<string, Read>() } // by the cookies' names (config.cookieSecure)
const FORGET_SEEN_MS = 60_000
const REMEMBERED_HEADER_MAX = 512
let forgotAt = Date.now()
function forgetSessionsSeen(now = Date.now()): void {
  readCookies.secure.clear()
  readCookies.plain.clear()
  forgotAt = now
}

/** A cookie value as our cookies are written; anything else (quoted, escaped) is not read here. */
const PLAIN = /^[A-Za-z0-9._-]+$/

/**
 * The session and form-token cookies from a Cookie header, as hono's parser would read them when
 * they are plain; null for one said twice or otherwise than plainly (the app reads those), '' for
 * one not sent.
 */
function sessionCookies(header: string, sessionName: string, csrfName: string): { session: string; csrf: string } | null {
  const got = { session: '', csrf: '' }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    const which = name === sessionName ? 'session' : name === csrfName ? 'csrf' : null
    if (!which) continue
    const value = part.slice(eq + 1).trim()
    if (got[which] !== '' || !PLAIN.test(value)) return null
    got[which] = value
  }
  return got
}

/** `answer`: what the early paths send, its headers made when kept, not per request. */
type OwnPage = { fingerprint: string; csrf: string; at: number; deflated: boolean; answer: EarlyAnswer }
type Asked = { method?: string; htmx: boolean; cookie?: string; path: string; query: string; acceptEncoding?: string }

function readCookieHeader(deps: Pick<Deps, 'config'>, cookie: string): Read {
  const now = Date.now()
  if (now - forgotAt >= FORGET_SEEN_MS) forgetSessionsSeen(now)
  const seen = deps.config.cookieSecure ? readCookies.secure : readCookies.plain
  let read = seen.get(cookie)
  if (read === undefined) {
    const c = sessionCookies(cookie, cookieName(deps.config, 'session'), cookieName(deps.config, 'csrf'))
    const chosen = c && chosenLang(cookie, cookieName(deps.config, 'lang'))
    read = !c || !c.session || !c.csrf || chosen === null ? null : { ...c, chosen, hash: ownPageHash(c.session) }
    if (cookie.length > REMEMBERED_HEADER_MAX) return read
    if (seen.size >= 1000) seen.clear()
    seen.set(cookie, read)
  }
  return read
}

/** The key a reader's own page is kept under, or null for a request that may not have one. */
function ownKey(deps: Pick<Deps, 'config'>, r: Asked): (NonNullable<Read> & { key: CacheKey }) | null {
  if (r.method !== 'GET' || r.htmx || !r.cookie) return null
  if (r.query !== '' && !/^\?page=[1-9][0-9]{0,5}$/.test(r.query)) return null
  const c = readCookieHeader(deps, r.cookie)
  if (!c) return null
  return { key: cacheKey.own(c.hash, c.chosen, acceptsDeflate(r.acceptEncoding) ? 'deflate' : 'identity', `${r.path}${r.query}`), ...c }
}

/**
 * The reader's own page kept whole for this request, if it is still good (above): at once when the
 * sessions are in this process, else once the session store has answered; undefined for none.
 */
function ownFor(deps: PageDeps, r: Asked): CachedPart<OwnPage> | undefined | Promise<CachedPart<OwnPage> | undefined> {
  const k = ownKey(deps, r)
  const part = k ? deps.cache.get<OwnPage>(k.key) : undefined
  if (!k || !part || part.meta.csrf !== k.csrf || deps.now() - part.meta.at >= OWN_PAGE_MS) return undefined
  // The session live and holding the same key, its idle clock restarted as the app would. (No
  // closure is made for a hit on in-process sessions: tsx names each function it makes, a
  // property definition every time, which showed in the profile.)
  return deps.sessions.getNow ? ifSameKey(deps.sessions.getNow(k.session), part) : deps.sessions.get(k.session).then((session) => ifSameKey(session, part))
}
function ifSameKey(session: Session | null, part: CachedPart<OwnPage>): CachedPart<OwnPage> | undefined {
  return session?.fingerprint === part.meta.fingerprint ? part : undefined
}

/**
 * Keep the page just built for this reader (http/render.ts sendAround), if it may be kept: a GET
 * of a session whose browser already had the form-token cookie the page's token was made for.
 */
export function keepOwnPage(c: Context<AppEnv>, deps: Pick<Deps, 'cache' | 'config' | 'now'>, body: Uint8Array, deflated: boolean, tags: readonly string[], since: number): void {
  const session = c.get('session')
  const url = c.req.url
  const q = url.indexOf('?')
  const k = ownKey(deps, { method: c.req.method, htmx: c.req.header('HX-Request') !== undefined, cookie: c.req.header('cookie'), path: c.req.path, query: q >= 0 ? url.slice(q) : '', acceptEncoding: c.req.header('accept-encoding') })
  if (!session || !k || session.id !== k.session || c.get('csrfCookie') !== k.csrf || readCookie(c, deps, 'csrf') !== k.csrf) return
  const headers = { ...pageHeaders(deflated), 'Content-Length': String(body.length), ...marked(deps.config) }
  deps.cache.set<OwnPage>(k.key, { meta: { fingerprint: session.fingerprint, csrf: k.csrf, at: deps.now(), deflated, answer: { body, headers, lines: linesOf(headers) } }, bytes: body, tags: [...tags, cacheTag.session(k.hash), cacheTag.key(session.fingerprint), cacheTag.everyOwnPage()] }, since)
}

/**
 * A reader's own pages are dropped when their session ends, here or on another node; and every
 * minute, with the Cookie headers remembered, whatever else happens: a session that falls idle in
 * Redis ends without a word, and a quiet node would otherwise keep its id (in the headers seen)
 * and its identity bar (in its pages) for as long as nothing else pushed them out. A page kept
 * under a minute ago is simply built again. The timer holds the cache weakly: an app let go of
 * (the tests make many) takes its timer with it.
 */
export function dropOwnPagesOnEnd(deps: Pick<Deps, 'cache' | 'sessions'>): void {
  deps.sessions.onEnded((fingerprint) => {
    deps.cache.drop([cacheTag.key(fingerprint)])
    forgetSessionsSeen()
  })
  sweepEveryMinute(new WeakRef(deps.cache))
}

/** Made apart from dropOwnPagesOnEnd: a closure made there would share its scope, and hold deps. */
function sweepEveryMinute(cache: WeakRef<Pick<Deps, 'cache'>['cache']>): void {
  const sweep = setInterval(() => {
    const c = cache.deref()
    if (!c) return clearInterval(sweep)
    c.drop([cacheTag.everyOwnPage()])
    forgetSessionsSeen()
  }, FORGET_SEEN_MS)
  sweep.unref()
}

/** How many Cookie headers are remembered now (tests: the minute's sweep empties them). */
export const cookieHeadersSeen = () => readCookies.secure.size + readCookies.plain.size

/** A form sent with a session cookie: that session's pages may say something else after it. */
function dropOwnPagesOnForm(deps: Pick<Deps, 'cache' | 'config'>, method: string | undefined, cookie: string | undefined): void {
  if (method === 'GET' || method === 'HEAD' || !cookie) return
  // Read leniently: a session cookie said oddly drops what it names too (dropping is always safe).
  // At most SESSIONS_NAMED of them, in one drop: this runs before any check, and each drop scans
  // the cache (a thousand names in one header, ~1,360 fit in Node's 16 KB, blocked the event loop
  // for about a fifth of a second, measured by a review). A browser sends ours once.
  const name = cookieName(deps.config, 'session')
  const named = new Set<string>()
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=')
    if (eq >= 0 && part.slice(0, eq).trim() === name) named.add(part.slice(eq + 1).trim())
    if (named.size === SESSIONS_NAMED) break
  }
  if (named.size > 0) deps.cache.drop([...named].map((sid) => cacheTag.session(ownPageHash(sid))))
}
const SESSIONS_NAMED = 4

/**
 * The first thing a request meets: a page cached whole for it is sent at once, without the
 * middleware and routing that would build the same bytes (a board page spent a third of its CPU
 * there, measured): a reader with no session asking (without htmx) for a page kept whole, or a
 * reader asking again for their own page (above). Anything else goes on.
 */
export function wholePageCache(deps: PageDeps): MiddlewareHandler<AppEnv> {
  const session = `${cookieName(deps.config, 'session')}=`
  return async (c, next) => {
    // Taken first: whatever this request builds and keeps, it read after this.
    c.set('cacheSince', deps.cache.epoch())
    const url = c.req.url
    const q = url.indexOf('?')
    const asked = { method: c.req.method, htmx: c.req.header('HX-Request') !== undefined, cookie: c.req.header('cookie'), path: c.req.path, query: q >= 0 ? url.slice(q) : '', acceptEncoding: c.req.header('accept-encoding') }
    const whole = wholeFor(deps, session, asked)
    if (whole) return sendKept(c, whole)
    dropOwnPagesOnForm(deps, asked.method, asked.cookie)
    const own = asked.cookie?.includes(session) ? await ownFor(deps, asked) : undefined
    if (own) {
      c.set('secured', true)
      return c.body(own.bytes as Uint8Array<ArrayBuffer>, 200, pageHeaders(own.meta.deflated))
    }
    await next()
  }
}

/** What the early paths send: the page's bytes, its headers (Content-Length among them) and the same as header lines. */
export type EarlyAnswer = { body: Uint8Array; headers: Readonly<Record<string, string>>; lines: string }
/** A GET as the early paths read it: its target as sent, and the three headers they look at. */
export type EarlyAsked = { url: string; htmx: boolean; cookie?: string; acceptEncoding?: string }
/** The header only tests ask for (config.ts markCachedAnswers): which way an answer went. */
const marked = (config: Pick<Deps['config'], 'markCachedAnswers'>): Record<string, string> => (config.markCachedAnswers ? { 'x-cached-answer': '1' } : {})
const linesOf = (headers: Readonly<Record<string, string>>) => Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')

/**
 * The page a GET may be answered with before the app: a page cached whole for a reader with no
 * session, or a reader's own page asked again (above); undefined for anything else, which the app
 * answers the long way. Anything it is unsure of (a %-escape, an absolute URL) is the app's. A
 * reader's own page needs their session looked up first: then the answer is a promise.
 */
export function earlyAnswers(deps: PageDeps): (r: EarlyAsked) => EarlyAnswer | undefined | Promise<EarlyAnswer | undefined> {
  const session = `${cookieName(deps.config, 'session')}=`
  const mark = marked(deps.config)
  return (r) => {
    const url = r.url
    if (url[0] !== '/' || url.includes('%')) return undefined
    const q = url.indexOf('?')
    const asked = { method: 'GET', htmx: r.htmx, cookie: r.cookie, path: q >= 0 ? url.slice(0, q) : url, query: q >= 0 ? url.slice(q) : '', acceptEncoding: r.acceptEncoding }
    const whole = wholeFor(deps, session, asked)
    if (whole) return sentAs(whole, asked.acceptEncoding, mark)
    if (!asked.cookie?.includes(session)) return undefined
    const own = ownFor(deps, asked)
    return own instanceof Promise ? own.then(ownAnswer) : ownAnswer(own)
  }
}
const ownAnswer = (own: CachedPart<OwnPage> | undefined): EarlyAnswer | undefined => own?.meta.answer

/**
 * The same, one step earlier: before Hono, on Node's own request and response (main.ts; the
 * connections http/early-socket.ts hands over). A hit there costs what sending the bytes from
 * bare node:http costs, without building a Request, a context and a Response it does not need.
 * true: sent; false: the app's to answer (or a promise of either).
 */
export function wholePageBeforeApp(deps: PageDeps): (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean> {
  const answers = earlyAnswers(deps)
  return (req, res) => {
    const url = req.url
    if (req.method !== 'GET' || !url) return false
    const h = headersOf(req.rawHeaders)
    if (!h) return false
    const got = answers({ url, htmx: h.htmx, cookie: h.cookie, acceptEncoding: h.acceptEncoding })
    return got instanceof Promise ? got.then((a) => send(res, a)) : send(res, got)
  }
}

function send(res: ServerResponse, answer: EarlyAnswer | undefined): boolean {
  if (!answer) return false
  res.writeHead(200, answer.headers)
  res.end(answer.body)
  return true
}

/**
 * The three request headers this path reads, from the raw list Node parsed (building the
 * headers object costs more than the rest of a hit); null when one of them is sent twice, which
 * only the app reads the way Node would (joined, or the first kept).
 */
function headersOf(raw: string[]): { htmx: boolean; cookie?: string; acceptEncoding?: string } | null {
  let htmx = false
  let cookie: string | undefined
  let acceptEncoding: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    // Only names of these lengths can be one of the three: most headers are passed over at once.
    if (name.length === 6 && name.toLowerCase() === 'cookie') {
      if (cookie !== undefined) return null
      cookie = raw[i + 1]!
    } else if (name.length === 15 && name.toLowerCase() === 'accept-encoding') {
      if (acceptEncoding !== undefined) return null
      acceptEncoding = raw[i + 1]!
    } else if (name.length === 10 && name.toLowerCase() === 'hx-request') htmx = true
  }
  return { htmx, cookie, acceptEncoding }
}

/** A whole page's bytes and headers for an Accept-Encoding, its Content-Length among them: made once per part and encoding. */
const sent = new WeakMap<object, { gzip?: EarlyAnswer; plain?: EarlyAnswer }>()
function sentAs(part: CachedPart<unknown>, acceptEncoding: string | undefined, mark: Record<string, string>): EarlyAnswer {
  let forms = sent.get(part)
  if (!forms) sent.set(part, (forms = {}))
  part.readAgain?.()
  const which = acceptsGzip(acceptEncoding) && part.gzip !== undefined ? 'gzip' : 'plain'
  let got = forms[which]
  // Made again when the part's gzip was (a page first gzipped quickly, http/render.ts).
  if (!got || (which === 'gzip' && got.body !== part.gzip)) {
    const { body, headers } = partFor(part, which === 'gzip' ? 'gzip' : undefined)
    const all = { ...headers, 'Content-Length': String(body.length), ...mark }
    got = forms[which] = { body, headers: all, lines: linesOf(all) }
  }
  return got
}

