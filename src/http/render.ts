import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { DomainError } from '../domain/errors.ts'
import { pseudonymOf } from '../domain/pseudonym.ts'
import { isQuestionKind } from '../services/questions/kinds.ts'
import type { Deps } from '../services/deps.ts'
import type { CachedPart, CacheKey } from '../services/page-cache.ts'
import type { Html } from '../../views/html.ts'
import { type FeedLink, type Here, layoutParts, page } from '../../views/layout.ts'
import type { Viewer } from '../../views/viewer.ts'
import type { AppEnv } from './env.ts'
import { keepByAddress, keepOwnPage, sendKept } from './middleware/whole-page-cache.ts'
import { sendBytes, sendDeflated, sendPart } from './middleware/security-headers.ts'
import { acceptsDeflate, acceptsGzip, busyForGzip, deflateAround, gzipOnce, gzipOnceOffLoop, gzipQuick } from './compression.ts'
import { formTokenFor } from './middleware/form-token.ts'

export type C = Context<AppEnv>

/**
 * The address of a session's own-posts stylesheet: its own for each session, so a browser that
 * kept a sheet in memory (despite no-store) could never apply a burned identity's to the next one.
 * A hash of the session id, which it does not reveal; the route ignores the query.
 */
const ownPostsSheet = (sessionId: string) => `/identity/own-posts.css?s=${createHash('sha256').update(`own-posts:${sessionId}`).digest('hex').slice(0, 16)}`

export function viewerOf(c: C, deps: Deps): Viewer {
  const s = c.get('session')
  return {
    identity: s ? { pseudonym: pseudonymOf(s.fingerprint), fingerprint: s.fingerprint, kind: s.kind, ownPosts: ownPostsSheet(s.id) } : null,
    // Lazy: only a page that renders a form makes the cookie and a token; each form its own.
    get csrf() {
      return formTokenFor(c, deps)
    },
    openQuestions: c.get('openQuestions') ?? 0,
  }
}

/**
 * Where the page is, for the language switch at its foot: its path, a search's words and its page
 * number. (Nothing about its reader: a page cached whole for every reader of its address and
 * language carries it.)
 */
export function hereOf(c: C, _deps?: Deps): Here {
  // A page that answers a form (a preview, a refusal, "letter sent") sits at the address the form
  // posted to, which only takes POST: the switch comes back to the page holding the form instead
  // (less any query: the switch goes back to a path, a search's words and a page number at most).
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return { path: formPageOf(c.req.path, c.get('form') ?? {}).replace(/\?.*$/, '') }
  const pageNumber = c.req.query('page')
  const onPage = pageNumber && PAGE_NUMBER.test(pageNumber) ? `page=${pageNumber}` : ''
  if (!SEARCH_PATH.test(c.req.path)) return { path: c.req.path + (onPage ? `?${onPage}` : '') }
  // A search's words come back with it: a reader who switches language finds the results again,
  // not an empty search form (the way to an identity leaves them out: views/layout.ts, Here).
  // Cut by characters, not UTF-16 units: half an emoji left at the cut made encodeURIComponent
  // throw, on the search page and again on its error page.
  const q = [...(c.req.query('q')?.trim() ?? '')].slice(0, 200).join('')
  const query = [q ? `q=${encodeURIComponent(q)}` : '', onPage].filter(Boolean).join('&')
  return { path: c.req.path + (query ? `?${query}` : ''), identityPath: c.req.path }
}
/** A search's address (http/search.ts) and a page number, as hereOf writes them and the switch (http/language.ts) reads them back. */
export const SEARCH_AT = '/(?:c/[a-z0-9-]{1,64}/)?search'
export const PAGE_AT = '[1-9][0-9]{0,5}'
const SEARCH_PATH = new RegExp(`^${SEARCH_AT}$`)
const PAGE_NUMBER = new RegExp(`^${PAGE_AT}$`)

/** Who sends a form: the session, and the key the form says it was shown for (views/partials/forms.ts boundFields). */
export const whoOf = (c: C) => ({ session: c.get('session'), expired: c.get('sessionExpired'), formKey: c.get('form')._key })

export const isHtmx = (c: C) => c.req.header('HX-Request') === 'true'

/** What a refused form is sent back with: any status a person's input can cause but "no such thing". */
export type FormStatus = Exclude<DomainError['status'], 401 | 404>
/** Every status a page is sent with. */
export type Status = 200 | FormStatus | 404 | 500

/**
 * The one way a refused form comes back: run the form's use case, and when it refuses what the
 * person sent, `again` renders the form with their text and the reasons beside the fields. "No
 * such thing" (404), and anything that is not a DomainError (a bug), go on to the error page.
 */
export async function orFormAgain(work: () => Promise<Response>, again: (refused: DomainError, status: FormStatus) => Response | Promise<Response>): Promise<Response> {
  try {
    return await work()
  } catch (e) {
    if (!(e instanceof DomainError) || e.status === 404) throw e
    return again(e, e.status === 401 ? 403 : e.status)
  }
}

export function sendPage(c: C, deps: Deps, status: Status, title: string, main: Html, feeds?: FeedLink[]) {
  return c.html(page({ title, viewer: viewerOf(c, deps), feeds, here: hereOf(c, deps) }, main), status)
}

const encoder = new TextEncoder()



/**
 * A page whose middle is cached bytes: only the viewer's head and foot are built per request.
 * A reader with no identity sees a page without forms or tokens, the same for every such reader:
 * that whole page is cached too (under `anonymous`, with the middle's tags) and sent as it is.
 */
export async function sendAround(
  c: C,
  deps: Deps,
  status: Status,
  p: { title: string; feeds?: FeedLink[]; indexable?: boolean; before: () => Html; cached: { bytes: Uint8Array; tags: readonly string[] }; after: () => Html; anonymous?: CacheKey },
) {
  const shared = status === 200 && p.anonymous && !c.get('session') ? p.anonymous : null
  if (shared) {
    const whole = deps.cache.get(shared)
    if (whole) {
      keepByAddress(c, deps, whole, c.get('cacheSince')) // another address of the same page (?page=1)
      return sendKept(c, whole) // shared: a 200
    }
  }
  // A board's and a thread's page offer "take an identity" with their place in their form section
  // (views/partials/forms.ts identityNeeded); the header's stays plain: a second copy of the address
  // cost the thread page 23 B gzipped, past its 6 KB on the wire (bench/pages.ts: 6,155 against 6,132 B).
  const { head, foot } = layoutParts({ title: p.title, viewer: viewerOf(c, deps), feeds: p.feeds, indexable: p.indexable, here: hereOf(c, deps), identityLink: 'plain' })
  const first = Buffer.from(head + p.before().toString())
  const last = Buffer.from(p.after().toString() + foot)
  // Only if rendering made no form token (and so no cookie) is the page truly the same for all.
  if (shared && c.get('csrfCookie') === null) {
    // No token, no session: nothing secret to leak through compression (http/compression.ts).
    const out = Buffer.concat([first, p.cached.bytes, last])
    // Gzipped once, when a reader first takes gzip (Tor Browser always does; a feed reader or a
    // script may not): a page missed by such readers is not compressed for nothing (1–1.5 ms for
    // 50 posts, measured).
    let gzip: Uint8Array | undefined
    // Made at zlib's fastest level when the node was busy (below): made again at its best the first
    // time the page is sent again, once, in libuv's threads (until that is done, at level 1 still).
    let quick = false
    const whole: CachedPart<null> = {
      meta: null,
      bytes: out,
      get gzip() {
        return (gzip ??= gzipOnce(out))
      },
      readAgain() {
        if (!quick) return
        quick = false
        gzipOnceOffLoop(out).then(
          (best) => void (gzip = best),
          () => {}, // the quick bytes stay: they are the same page
        )
      },
      tags: p.cached.tags,
    }
    // Kept at once, as it was built: a write from now on drops it as any other; one since this
    // request began (its middle may have been read before it) keeps it from being kept.
    deps.cache.set(shared, whole, c.get('cacheSince'))
    keepByAddress(c, deps, whole, c.get('cacheSince'))
    // This reader takes gzip: the same bytes made in libuv's threads, so the event loop answers
    // other readers while zlib works (a third of a page missed by the cache, at 1,000,000 posts as
    // Tor Browser asks). A reader of the same page meanwhile gzips it at once, as before. When the
    // node is busy (compression.ts busyForGzip), it is short of CPU, not of bytes: this reader gets
    // the page at level 1 (gzipQuick), and the readers after the next level 9's bytes.
    if (gzip === undefined && acceptsGzip(c.req.header('accept-encoding'))) {
      const busy = busyForGzip(deps.config.gzipQuickAbove)
      const made = busy ? await gzipQuick(out) : await gzipOnceOffLoop(out)
      if (gzip === undefined) (gzip = made), (quick = busy)
    }
    return sendPart(c, 200, whole)
  }
  // A reader's own page (a session, a form token): compressed only around its secrets.
  const deflated = acceptsDeflate(c.req.header('accept-encoding'))
  const body = deflated ? deflateAround(first, p.cached, last) : new Uint8Array(Buffer.concat([first, p.cached.bytes, last]))
  const res = deflated ? sendDeflated(c, status, body) : sendBytes(c, status, body)
  // Kept whole for a few seconds for this reader (whole-page-cache.ts says when it is sent again):
  // only as every reader of the address would get it in no flood and with no preview (`shared`'s
  // conditions), and only when answering set no cookie.
  if (status === 200 && p.anonymous && c.get('session') && !res.headers.has('set-cookie')) keepOwnPage(c, deps, body, deflated, p.cached.tags, c.get('cacheSince'))
  return res
}

export const encode = (s: Html | string) => encoder.encode(s.toString())

/**
 * A positive integer from a path or query; anything else is "no such thing". Ids and numbers are
 * PostgreSQL `integer`s, so one past 2,147,483,647 names nothing either (PostgreSQL would refuse
 * it as out of range: a 500 where the reader asked for what is not there).
 */
export function parseId(v: string | undefined): number | null {
  if (v === undefined || !/^[1-9][0-9]{0,9}$/.test(v)) return null
  const n = Number(v)
  return n <= MAX_INTEGER ? n : null
}
const MAX_INTEGER = 2_147_483_647

/**
 * A return path inside this site, as produced by our own links (a path, and at most a plain query
 * such as the raise form's place: letters, digits, = & _ . -); anything else is dropped.
 */
export function localPath(v: string | undefined): string | null {
  return v && /^\/[a-z0-9][a-z0-9/-]{0,200}(?:\?[A-Za-z0-9_=&.-]{1,300})?$/.test(v) ? v : null
}

/**
 * The page that shows, empty, the form that posts to `path`: where a person is sent to write
 * again. A board and a thread carry their own forms (a preview is sent from them); a question is
 * raised from its kind's page, a letter written on the cell's letter page, a letter marked handled
 * in the inbox. Every POST route is here or posts to the page of its form. From the request's
 * own path (the private key's, with its dot, is no return path); what it gives is one.
 */
export function formPageOf(path: string | null, form: Record<string, string>): string {
  return localPath(path === null ? undefined : formPathOf(path, form)) ?? '/'
}

function formPathOf(path: string, form: Record<string, string>): string {
  if (path.startsWith('/identity')) return '/identity'
  const ballot = /^(\/c\/[^/]+\/questions\/[0-9]+)\/ballot$/.exec(path)
  if (ballot) return ballot[1]!
  if (/^\/c\/[^/]+\/questions$/.test(path)) return form.kind && isQuestionKind(form.kind) ? `${path}/new?kind=${form.kind}` : `${path}/new`
  const preview = /^(\/c\/.+)\/preview$/.exec(path)
  if (preview) return preview[1]!
  if (/^\/c\/[^/]+\/letters$/.test(path)) return `${path}/new`
  const handled = /^(\/c\/[^/]+\/letters)\/handled$/.exec(path)
  if (handled) return handled[1]!
  return path
}
