import type { Context, MiddlewareHandler } from 'hono'
import type { Deps } from '../../services/deps.ts'
import { cacheKey, type CachedPart, type CacheKey } from '../../services/page-cache.ts'
import { cookieName } from '../cookies.ts'
import type { AppEnv } from '../env.ts'
import { GZIP_PAGE_HEADERS, PAGE_HEADERS, sendPart } from './security-headers.ts'
import { acceptsGzip } from '../compression.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * The cache key of a GET's address, for pages the same for every reader without a session: the
 * path, and at most a page number (other queries would only fill the cache with copies).
 */
export function addressKey(c: Context): CacheKey | null {
  const url = c.req.url
  const q = url.indexOf('?')
  return addressKeyOf(c.req.path, q >= 0 ? url.slice(q) : '')
}

function addressKeyOf(path: string, query: string): CacheKey | null {
  if (query !== '' && !/^\?page=[1-9][0-9]{0,5}$/.test(query)) return null
  return cacheKey.address(`${path}${query}`)
}

/** Keep a whole page under its address too, for the next reader without a session (below). */
export function keepByAddress(c: Context, deps: Pick<Deps, 'cache'>, whole: CachedPart<unknown>): void {
  const key = addressKey(c)
  if (key && !deps.cache.get(key)) deps.cache.set(key, whole)
}

/**
 * The first thing a request meets: a reader with no session asking (without htmx) for a page
 * already cached whole gets its bytes at once, without the middleware and routing that would
 * build the same bytes (a board page spent a third of its CPU there, measured). Anything
 * else, a session cookie included (it may have expired, which the page would say), goes on.
 */
export function wholePageCache(deps: Pick<Deps, 'cache' | 'config'>): MiddlewareHandler<AppEnv> {
  const session = `${cookieName(deps.config, 'session')}=`
  return async (c, next) => {
    if (c.req.method === 'GET' && c.req.header('HX-Request') === undefined && !c.req.header('cookie')?.includes(session)) {
      const key = addressKey(c)
      const whole = key ? deps.cache.get(key) : undefined
      if (whole) return sendPart(c, 200, whole)
    }
    await next()
  }
}

/**
 * The same, one step earlier: before Hono, on Node's own request and response (main.ts). A hit
 * there costs what sending the bytes from bare node:http costs, without building a Request, a
 * context and a Response it does not need. The rules are the middleware's; anything it is unsure
 * of (a %-escape, an absolute URL, HEAD) goes on to the app, which answers it the long way.
 */
export function wholePageBeforeApp(deps: Pick<Deps, 'cache' | 'config'>): (req: IncomingMessage, res: ServerResponse) => boolean {
  const session = `${cookieName(deps.config, 'session')}=`
  return (req, res) => {
    const url = req.url
    if (req.method !== 'GET' || !url || url[0] !== '/' || url.includes('%') || req.headers['hx-request'] !== undefined || req.headers.cookie?.includes(session)) return false
    const q = url.indexOf('?')
    const key = q >= 0 ? addressKeyOf(url.slice(0, q), url.slice(q)) : addressKeyOf(url, '')
    const whole = key ? deps.cache.get(key) : undefined
    if (!whole) return false
    const gzip = whole.gzip !== undefined && acceptsGzip(req.headers['accept-encoding'])
    const body = gzip ? whole.gzip! : whole.bytes
    res.writeHead(200, { ...(gzip ? GZIP_PAGE_HEADERS : PAGE_HEADERS), 'Content-Length': String(body.length) })
    res.end(body)
    return true
  }
}
