import type { Context, MiddlewareHandler } from 'hono'
import type { Deps } from '../../services/deps.ts'
import { cacheKey, type CachedPart, type CacheKey } from '../../services/page-cache.ts'
import { cookieName } from '../cookies.ts'
import type { AppEnv } from '../env.ts'
import { sendPart } from './security-headers.ts'

/**
 * The cache key of a GET's address, for pages the same for every reader without a session: the
 * path, and at most a page number (other queries would only fill the cache with copies).
 */
export function addressKey(c: Context): CacheKey | null {
  const url = c.req.url
  const q = url.indexOf('?')
  if (q >= 0 && !/^\?page=[1-9][0-9]{0,5}$/.test(url.slice(q))) return null
  return cacheKey.address(`${c.req.path}${q >= 0 ? url.slice(q) : ''}`)
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
