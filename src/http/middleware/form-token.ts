import type { Context, MiddlewareHandler } from 'hono'
import { DomainError } from '../../domain/errors.ts'
import { identityChanged } from '../../domain/forms.ts'
import { t } from '../../i18n/index.ts'
import type { Deps } from '../../services/deps.ts'
import { writeCookie } from '../cookies.ts'
import type { AppEnv } from '../env.ts'

type TokenDeps = Pick<Deps, 'csrf' | 'config'>

/**
 * A form token for this browser, its cookie made the first time a page shows a form (a reader who
 * never sees a form gets no cookie at all). Each call gives a differently masked string.
 */
export function formTokenFor(c: Context<AppEnv>, deps: TokenDeps): string {
  let cookie = c.get('csrfCookie')
  if (!cookie) {
    cookie = deps.csrf.newCookie()
    writeCookie(c, deps, 'csrf', cookie)
    c.set('csrfCookie', cookie)
  }
  return deps.csrf.tokenFor(cookie)
}

/**
 * A new form-token cookie, when the browser burns or takes an identity: nothing the browser keeps
 * may link the key before to the key after. Forms shown before are refused from now on.
 */
export function renewFormCookie(c: Context<AppEnv>, deps: TokenDeps): void {
  const cookie = deps.csrf.newCookie()
  writeCookie(c, deps, 'csrf', cookie)
  c.set('csrfCookie', cookie)
}

/**
 * Every POST carries a form token for this browser's cookie. A refused one may be a forgery from
 * another site, with the forger's text: the refusal must never offer it back as a form that one
 * click would send with this browser's identity (app.ts renderError shows it read-only).
 */
export function formTokenCheck(deps: TokenDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next()
    const form = c.get('form')
    if (!deps.csrf.check(c.get('csrfCookie'), form._csrf)) {
      // Most often: a form shown for a key this browser has since burned (which renewed the
      // cookie), whether it holds another now or none. Say so, naming them; but as a message
      // only, never as a form to send again.
      const changed = identityChanged(form._key, c.get('session')?.fingerprint ?? null, t('app.form_held_below'))
      throw changed || new DomainError(403, t('app.form_token'))
    }
    c.set('formTokenOk', true)
    await next()
  }
}
