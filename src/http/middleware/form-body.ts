import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { DomainError } from '../../domain/errors.ts'
import { t } from '../../i18n/index.ts'
import type { AppEnv } from '../env.ts'

/**
 * A POST's body may be at most `maxBytes` as sent (or `larger.maxBytes` on the paths it names) (413 otherwise, also when chunked). Nothing of a
 * larger one is read, so nothing of it can come back: the text stays in the person's form. Only
 * POSTs have bodies here (touching a GET's body makes the Node adapter build a full Request for
 * every page view: 40 % of a thread page's CPU, measured).
 */
export function postBodyLimit(maxBytes: number, larger?: { path: RegExp; maxBytes: number }): MiddlewareHandler<AppEnv> {
  const limit = sizeLimit(maxBytes)
  const largerLimit = larger ? sizeLimit(larger.maxBytes) : null
  return (c, next) => (c.req.method !== 'POST' ? next() : largerLimit && larger!.path.test(c.req.path) ? largerLimit(c, next) : limit(c, next))
}

function sizeLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    const kib = Math.round(maxBytes / 1024)
    // A form sends each character percent-encoded: 6 bytes for Arabic, Hebrew, Cyrillic or Greek, 9 for CJK.
    const fits = (bytesPerChar: number) => Math.floor(maxBytes / bytesPerChar / 100) * 100
    throw new DomainError(413, t('app.too_large', { kib, cyrillic: fits(6), cjk: fits(9) }))
  }
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return (c, next) => {
    // A body whose length is said up front as a plain number (every browser's form; Node's parser
    // refuses any other with a 400) is judged by that length before a byte of it is read, as
    // Hono's bodyLimit does, and Node's parser then delivers exactly that many bytes. Doing it
    // here, without touching c.req.raw.body as bodyLimit does first, lets the Node adapter read the
    // body straight from the socket instead of building a whole fetch Request around it (4-5 % of
    // a post's CPU, measured: issue 15). Anything else is counted as it arrives by bodyLimit.
    const length = c.req.header('content-length')
    if (length === undefined || !/^\d+$/.test(length) || c.req.header('transfer-encoding') !== undefined) return streamed(c, next)
    return Number(length) > maxBytes ? tooLarge() : next()
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
  if (type !== 'application/x-www-form-urlencoded') throw new DomainError(415, t('app.form_type'))
  let text: string
  try {
    text = strictUtf8.decode(await c.req.arrayBuffer())
  } catch {
    throw new DomainError(400, t('app.form_utf8'))
  }
  const form: Record<string, string> = {}
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)]
    try {
      form[decodeURIComponent(k.replace(/\+/g, ' '))] = decodeURIComponent(v.replace(/\+/g, ' '))
    } catch {
      throw new DomainError(400, t('app.form_utf8'))
    }
  }
  c.set('form', form)
  await next()
}
