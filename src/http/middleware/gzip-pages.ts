import type { MiddlewareHandler } from 'hono'
import type { Config } from '../../config.ts'
import { acceptsGzip, gzipNow } from '../compression.ts'
import { cookieName } from '../cookies.ts'
import type { AppEnv } from '../env.ts'

/**
 * Every other HTML page and htmx fragment a reader without a session GETs, gzipped for this one
 * response when the reader takes gzip (issue 15: the front page, a cell's page, a search, the
 * identity page, a page that is not there). The pages cached whole, the feeds and the static
 * files are compressed once by their own routes, and come here with their Content-Encoding set.
 *
 * Nothing secret is compressed here (BREACH; http/compression.ts):
 * - no session asked with (its cookie, even one that has expired) and none made by this answer:
 *   a session's page says who its reader is, and shows what only their tier may read, beside
 *   text others wrote. Such pages stay as they are, apart from the board's and thread's, whose
 *   secrets go in stored blocks (deflateAround);
 * - a form token is there under a fresh random mask in every response (ephemeral/csrf.ts): no
 *   two responses carry the same string, so its compressed length follows nothing an attacker
 *   could guess at;
 * - GET and HEAD only: an answer to a form carries back what its sender wrote (a letter refused
 *   with its text kept), which is theirs alone.
 *
 * Per response, at zlib's usual level (a 10 KB page takes about 50 µs): these pages are built
 * per request anyway, and are not the ones read most.
 */
export function gzipPages(config: Pick<Config, 'cookieSecure'>): MiddlewareHandler<AppEnv> {
  const session = `${cookieName(config, 'session')}=`
  return async (c, next) => {
    await next()
    const method = c.req.method
    if (method !== 'GET' && method !== 'HEAD') return
    // The cookie as sent (so a route that never looked the session up is covered too), and the
    // session as parsed (which also reads a name written with spaces around it).
    if (c.req.header('cookie')?.includes(session) || c.get('session') || c.get('sessionExpired')) return
    if (!acceptsGzip(c.req.header('accept-encoding'))) return
    const res = c.res
    const h = res.headers
    if (h.has('content-encoding') || !res.body || !h.get('content-type')?.startsWith('text/html')) return
    if (h.getSetCookie().some((line) => line.startsWith(session))) return
    const body = gzipNow(new Uint8Array(await res.arrayBuffer()))
    const headers = new Headers(h)
    headers.set('content-encoding', 'gzip')
    headers.set('content-length', String(body.length))
    c.res = undefined // so that Hono does not copy the old response's headers onto the new one
    c.res = new Response(body, { status: res.status, headers })
  }
}
