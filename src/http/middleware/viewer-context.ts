import type { MiddlewareHandler } from 'hono'
import type { Deps } from '../../services/deps.ts'
import { countMyOpenQuestions } from '../../services/questions/read.ts'
import { dropCookie, readCookie } from '../cookies.ts'
import type { AppEnv } from '../env.ts'

/**
 * Who is asking: the live session (if any) and the browser's form-token cookie, if this server
 * made it (any other value is ignored, and replaced when a form is shown). A session cookie whose
 * session has ended is dropped, and the page may say so (sessionExpired).
 */
export function viewerContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const sid = readCookie(c, deps, 'session')
    const session = sid ? await deps.sessions.get(sid) : null
    c.set('session', session)
    c.set('sessionExpired', Boolean(sid) && !session)
    // An ended session (idle expiry, a burn elsewhere) takes the reader's language choice with it,
    // as a burn does: the next identity must not arrive speaking the same rare language.
    if (sid && !session) {
      dropCookie(c, deps, 'session')
      dropCookie(c, deps, 'lang')
    }
    c.set('csrfCookie', deps.csrf.readCookie(readCookie(c, deps, 'csrf')))
    c.set('form', {})
    c.set('openQuestions', session ? await countMyOpenQuestions(deps, session.fingerprint) : 0)
    await next()
  }
}
