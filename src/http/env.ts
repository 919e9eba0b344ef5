import type { Lang } from '../i18n/index.ts'
import type { Session } from '../ephemeral/sessions.ts'

// What the middleware puts on every request's context.
export type AppEnv = {
  Variables: {
    session: Session | null
    /** A session cookie came with the request but its session is gone (idle expiry or burned). */
    sessionExpired: boolean
    /** This browser's form-token cookie, if this server made it; made when a page first shows a form. */
    csrfCookie: string | null
    /** For a voter: how many questions they may vote on are open (shown on every page). */
    openQuestions: number
    /** The response already carries the security headers (render.ts sendBytes). */
    secured: boolean
    /** The parsed urlencoded body of a POST. */
    form: Record<string, string>
    /** The POST carried a good form token: only then may a refusal offer its form again. */
    formTokenOk: boolean
    /** The page cache's epoch when this request began: what it builds is kept only if nothing it shows was dropped since (services/page-cache.ts). */
    cacheSince: number
    /** The language this request is answered in (middleware/language.ts). */
    lang: Lang
  }
}
