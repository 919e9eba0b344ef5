import { Hono } from 'hono'
import { DomainError } from '../domain/errors.ts'
import { isLang, PSEUDO_LANG, t } from '../i18n/index.ts'
import type { Deps } from '../services/deps.ts'
import { dropCookie, writeCookie } from './cookies.ts'
import type { AppEnv } from './env.ts'
import { PAGE_AT, SEARCH_AT } from './render.ts'

/** Where the switch may send a reader back to: a path of this site, with at most a page number, and a search's words on a search (http/render.ts hereOf). */
const PAGE = `page=${PAGE_AT}`
const BACK = new RegExp(`^/(?:[a-z0-9][a-z0-9/._-]{0,200})?(?:\\?${PAGE})?$|^${SEARCH_AT}\\?q=[A-Za-z0-9%._~!*'()-]{1,1800}(?:&${PAGE})?$`)
const backTo = (v: string | undefined) => (v && BACK.test(v) && !v.includes('//') ? v : '/')

/**
 * The reader's language switch: GET /lang?to=CODE&next=PATH keeps CODE in a session cookie and
 * goes back; to=page forgets the choice (each page is then in its cell's language). A link, so it
 * works in every browser with JavaScript off. The cookie holds only the code, goes when the
 * browser closes, and a burn drops it (http/identities.ts): a rare language would otherwise be a
 * thread from one identity to the next. A link on another site cannot change it (Sec-Fetch-Site).
 */
export function languageRoutes(deps: Deps) {
  return new Hono<AppEnv>().get('/lang', (c) => {
    const to = c.req.query('to')
    const next = backTo(c.req.query('next'))
    const site = c.req.header('sec-fetch-site')
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return c.redirect(next, 303)
    if (to === 'page') dropCookie(c, deps, 'lang')
    else if (isLang(to) && (to !== PSEUDO_LANG || process.env.CELLBOARD_PSEUDO_LANG === '1')) writeCookie(c, deps, 'lang', to)
    else throw new DomainError(400, t('layout.unknown_lang'))
    c.header('Cache-Control', 'no-store')
    return c.redirect(next, 303)
  })
}
