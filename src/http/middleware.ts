import type { MiddlewareHandler } from 'hono'
import { DomainError } from '../domain/errors.ts'
import type { Deps } from '../services/deps.ts'
import { countMyOpenQuestions } from '../services/questions/read.ts'
import { dropCookie, readCookie } from './cookies.ts'
import type { AppEnv } from './env.ts'

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
  // One URL may answer a whole page or an htmx fragment.
  Vary: 'HX-Request',
}

/**
 * Set on every response, error pages and htmx fragments included. The hot pages pass them as a
 * plain object with their bytes (render.ts sendBytes) and mark the context `secured`: editing a
 * response's Headers costs a board page a third of its time, measured.
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  const h = c.res.headers
  if (!c.get('secured')) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (name !== 'Cache-Control' || !h.has(name)) h.set(name, value)
  }
  // Downloads (signed texts, keys) are plain text: htmx must never swap them into the page as HTML.
  if (c.req.header('HX-Request') === 'true' && !h.get('Content-Type')?.startsWith('text/html')) h.set('HX-Reswap', 'none')
}

/**
 * Who is asking: the live session (if any) and the browser's form-token cookie, if this server
 * made it (any other value is ignored, and replaced when a form is shown). The cookies are session
 * cookies (no expiry date), random, and mean nothing once the browser closes.
 */
export function viewerContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const sid = readCookie(c, deps, 'session')
    const session = sid ? await deps.sessions.get(sid) : null
    c.set('session', session)
    c.set('sessionExpired', Boolean(sid) && !session)
    if (sid && !session) dropCookie(c, deps, 'session')
    c.set('csrfCookie', deps.csrf.readCookie(readCookie(c, deps, 'csrf')))
    c.set('form', {})
    c.set('openQuestions', session ? await countMyOpenQuestions(deps, session.fingerprint) : 0)
    await next()
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Forms are application/x-www-form-urlencoded, parsed strictly: a body that is not UTF-8, or a
 * percent-escape that does not decode to UTF-8, is refused rather than silently replaced.
 */
export const formBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'POST') return next()
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new DomainError(415, 'This address takes an ordinary web form (application/x-www-form-urlencoded).')
  let text: string
  try {
    text = strictUtf8.decode(await c.req.arrayBuffer())
  } catch {
    throw new DomainError(400, 'The form was not valid UTF-8 text.')
  }
  const form: Record<string, string> = {}
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)]
    try {
      form[decodeURIComponent(k.replace(/\+/g, ' '))] = decodeURIComponent(v.replace(/\+/g, ' '))
    } catch {
      throw new DomainError(400, 'The form was not valid UTF-8 text.')
    }
  }
  c.set('form', form)
  await next()
}
