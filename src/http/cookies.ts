import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Config } from '../config.ts'
import type { Deps } from '../services/deps.ts'
import type { AppEnv } from './env.ts'

// The cookies a browser may hold: its session (an identity), its form-token cookie, and the
// language its reader picked (only when they picked one; a burn drops it). All are
// session cookies (no expiry date), HttpOnly and SameSite=Strict. Over HTTPS they are __Host-
// cookies (Secure, Path=/, no Domain): nothing on another host of the same domain can set or
// overwrite them.
export type CookieName = 'session' | 'csrf' | 'lang'
type CookieDeps = Pick<Deps, 'config'>

export const cookieName = (config: Pick<Config, 'cookieSecure'>, which: CookieName) => `${config.cookieSecure ? '__Host-' : ''}cb_${which}`

const options = (deps: CookieDeps) => ({ httpOnly: true, sameSite: 'Strict', path: '/', secure: deps.config.cookieSecure }) as const

export const readCookie = (c: Context<AppEnv>, deps: CookieDeps, which: CookieName) => getCookie(c, cookieName(deps.config, which))
export const writeCookie = (c: Context<AppEnv>, deps: CookieDeps, which: CookieName, value: string) => setCookie(c, cookieName(deps.config, which), value, options(deps))
export const dropCookie = (c: Context<AppEnv>, deps: CookieDeps, which: CookieName) => void deleteCookie(c, cookieName(deps.config, which), options(deps))
