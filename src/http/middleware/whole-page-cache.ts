import type { Context, MiddlewareHandler } from 'hono'
import type { Deps } from '../../services/deps.ts'
import { cacheKey, type CachedPart, type CacheKey } from '../../services/page-cache.ts'
import { cookieName } from '../cookies.ts'
import { isLang } from '../../i18n/index.ts'
import type { AppEnv } from '../env.ts'
import { partFor, sendPart } from './security-headers.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'

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

/** Keep a whole page under its address too, for the next reader without a session (below). */
export function keepByAddress(c: Context, deps: Pick<Deps, 'cache' | 'config'>, whole: CachedPart<unknown>): void {
  const key = addressKey(c, cookieName(deps.config, 'lang'))
  if (key && !deps.cache.get(key)) deps.cache.set(key, whole)
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

/**
 * The first thing a request meets: a reader with no session asking (without htmx) for a page
 * already cached whole gets its bytes at once, without the middleware and routing that would
 * build the same bytes (a board page spent a third of its CPU there, measured). Anything
 * else goes on.
 */
export function wholePageCache(deps: Pick<Deps, 'cache' | 'config'>): MiddlewareHandler<AppEnv> {
  const session = `${cookieName(deps.config, 'session')}=`
  return async (c, next) => {
    const url = c.req.url
    const q = url.indexOf('?')
    const whole = wholeFor(deps, session, { method: c.req.method, htmx: c.req.header('HX-Request') !== undefined, cookie: c.req.header('cookie'), path: c.req.path, query: q >= 0 ? url.slice(q) : '' })
    if (whole) return sendPart(c, 200, whole)
    await next()
  }
}

/**
 * The same, one step earlier: before Hono, on Node's own request and response (main.ts). A hit
 * there costs what sending the bytes from bare node:http costs, without building a Request, a
 * context and a Response it does not need. Anything it is unsure of (a %-escape, an absolute
 * URL) goes on to the app, which answers it the long way.
 */
export function wholePageBeforeApp(deps: Pick<Deps, 'cache' | 'config'>): (req: IncomingMessage, res: ServerResponse) => boolean {
  const session = `${cookieName(deps.config, 'session')}=`
  return (req, res) => {
    const url = req.url
    if (!url || url[0] !== '/' || url.includes('%')) return false
    const q = url.indexOf('?')
    const whole = wholeFor(deps, session, { method: req.method, htmx: req.headers['hx-request'] !== undefined, cookie: req.headers.cookie, path: q >= 0 ? url.slice(0, q) : url, query: q >= 0 ? url.slice(q) : '' })
    if (!whole) return false
    const { body, headers } = partFor(whole, req.headers['accept-encoding'])
    res.writeHead(200, { ...headers, 'Content-Length': String(body.length) })
    res.end(body)
    return true
  }
}
