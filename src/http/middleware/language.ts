import type { MiddlewareHandler } from 'hono'
import { inLang, isLang } from '../../i18n/index.ts'
import type { Deps } from '../../services/deps.ts'
import { cellLanguage } from '../../services/reading.ts'
import { readCookie } from '../cookies.ts'
import type { AppEnv } from '../env.ts'

const CELL_PATH = /^\/c\/([a-z0-9][a-z0-9-]{0,31})(?:\/|$)/

/**
 * The language of this request, decided once: the one its reader picked (the lang cookie, set by
 * GET /lang), else the cell's when the address is in a cell, else the server's (DEFAULT_LANG).
 * Never Accept-Language: Tor Browser sends en-US whatever its reader reads, and anything else it
 * says about a reader is one more thing to tell them apart by.
 */
export function languageContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const chosen = readCookie(c, deps, 'lang')
    let l = isLang(chosen) ? chosen : null
    if (!l) {
      const cell = CELL_PATH.exec(c.req.path)?.[1]
      const ofCell = cell ? await cellLanguage(deps, cell) : null
      l = isLang(ofCell) ? ofCell : deps.config.defaultLang
    }
    c.set('lang', l)
    return inLang(l, () => next())
  }
}
