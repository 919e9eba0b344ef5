import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { acceptsGzip } from '../compression.ts'

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Pages carry a viewer's identity and form token: never cached, unless a route says otherwise.
  'Cache-Control': 'no-store',
  // One URL may answer a whole page or an htmx fragment, gzipped or not.
  Vary: 'HX-Request, Accept-Encoding',
}

/**
 * Set on every response, error pages and htmx fragments included. The hot pages pass them as a
 * plain object with their bytes (sendBytes) and mark the context `secured`: editing a response's
 * Headers costs a board page a third of its time, measured.
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  const h = c.res.headers
  if (!c.get('secured')) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (name === 'Cache-Control' && h.has(name)) continue
      // A route's own Vary (Cookie, for a session's stylesheet) is kept beside ours.
      const own = name === 'Vary' ? h.get(name) : null
      h.set(name, own ? [...new Set([...own.split(/\s*,\s*/), ...value.split(', ')])].join(', ') : value)
    }
  }
  // Downloads (signed texts, keys) are plain text: htmx must never swap them into the page as HTML.
  if (c.req.header('HX-Request') === 'true' && !h.get('Content-Type')?.startsWith('text/html')) h.set('HX-Reswap', 'none')
}

/**
 * Header names as the app's responses carry them: through Hono's Headers, which gives them in lower
 * case and in order of name. A page sent from the cache (whole-page-cache.ts, early-socket.ts)
 * writes these objects as they are, then Content-Length as Node's server does: so it looks, byte for
 * byte but the Date, as the same page built afresh. (An outsider's report: the cache's capitalised
 * names, in another order, told a hit from a miss, and so whether anyone had opened a page since
 * the last write.)
 */
const asTheAppSends = (headers: Record<string, string>): Readonly<Record<string, string>> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
const PAGE_HEADERS = asTheAppSends({ ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=UTF-8' })
const GZIP_PAGE_HEADERS = asTheAppSends({ ...PAGE_HEADERS, 'Content-Encoding': 'gzip' })
const DEFLATE_PAGE_HEADERS = asTheAppSends({ ...PAGE_HEADERS, 'Content-Encoding': 'deflate' })

/** An HTML page's bytes, with every header given at once as a plain object (the fast path). */
export function sendBytes(c: Context<AppEnv>, status: 200 | 400 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503, bytes: Uint8Array) {
  c.set('secured', true)
  return c.body(bytes as Uint8Array<ArrayBuffer>, status, PAGE_HEADERS)
}

/**
 * A page with no secret in it (cached whole for readers without a session): its gzipped bytes,
 * made when it was cached, when the reader takes gzip (http/compression.ts says why only these).
 */
export function sendPart(c: Context<AppEnv>, status: 200, part: { bytes: Uint8Array; gzip?: Uint8Array }) {
  const { body, headers } = partFor(part, c.req.header('accept-encoding'))
  c.set('secured', true)
  return c.body(body, status, headers)
}

/** Which bytes of a part a reader gets for their Accept-Encoding, with the page headers for them. */
export function partFor(part: { bytes: Uint8Array; gzip?: Uint8Array }, acceptEncoding: string | undefined) {
  // The encoding asked for first: a part may make its gzip only when first taken (http/render.ts).
  const gzip = acceptsGzip(acceptEncoding) && part.gzip !== undefined
  return { body: (gzip ? part.gzip! : part.bytes) as Uint8Array<ArrayBuffer>, headers: gzip ? GZIP_PAGE_HEADERS : PAGE_HEADERS }
}

/** The headers of a page as sendDeflated (deflated) or sendBytes (not) sends it. */
export const pageHeaders = (deflated: boolean): Readonly<Record<string, string>> => (deflated ? DEFLATE_PAGE_HEADERS : PAGE_HEADERS)

/** A page made by compression.ts's deflateAround (its secrets in stored blocks), as deflate. */
export function sendDeflated(c: Context<AppEnv>, status: Parameters<typeof sendBytes>[1], body: Uint8Array<ArrayBuffer>) {
  c.set('secured', true)
  return c.body(body, status, DEFLATE_PAGE_HEADERS)
}
