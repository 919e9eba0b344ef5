import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config.ts'
import { DomainError } from '../../domain/errors.ts'
import { CsrfTokens } from '../../ephemeral/csrf.ts'
import type { AppEnv } from '../env.ts'
import { formTokenCheck, formTokenFor, renewFormCookie } from './form-token.ts'

/** A tiny app: the request's cookie as the viewer middleware reads it, the form, and the check. */
function app(secure = false) {
  const deps = { csrf: new CsrfTokens(), config: loadConfig({ COOKIE_SECURE: String(secure) }) }
  const name = secure ? '__Host-cb_csrf' : 'cb_csrf'
  const a = new Hono<AppEnv>()
  a.use(async (c, next) => {
    const cookie = /(?:^|; )([^=]+)=([^;]*)/.exec(c.req.header('cookie') ?? '')
    c.set('csrfCookie', deps.csrf.readCookie(cookie?.[1] === name ? cookie[2] : undefined))
    c.set('form', c.req.method === 'POST' ? Object.fromEntries(new URLSearchParams(await c.req.text())) : {})
    await next()
  })
  a.use(formTokenCheck(deps))
  a.get('/form', (c) => c.text(`${formTokenFor(c, deps)} ${formTokenFor(c, deps)}`))
  a.post('/renew', (c) => (renewFormCookie(c, deps), c.text('renewed')))
  a.post('/send', (c) => c.text('accepted'))
  a.onError((e, c) => c.text(e.message, e instanceof DomainError ? (e.status as 403) : 500))
  const post = (path: string, cookie: string, token: string) =>
    a.request(path, { method: 'POST', body: new URLSearchParams({ _csrf: token }).toString(), headers: { cookie: `${name}=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' } })
  return { a, deps, name, post }
}

const cookieOf = (res: Response, name: string) => new RegExp(`^${name}=([^;]+)`).exec(res.headers.getSetCookie()[0] ?? '')?.[1]

describe('formTokenFor, renewFormCookie and formTokenCheck', () => {
  it('the first form makes the cookie; each form gets its own token; each token is accepted', async () => {
    const { a, name, post } = app()
    const res = await a.request('/form')
    const cookie = cookieOf(res, name)!
    expect(res.headers.getSetCookie()).toHaveLength(1)
    const [t1, t2] = (await res.text()).split(' ') as [string, string]
    expect(t1).not.toBe(t2)
    expect(await (await post('/send', cookie, t1)).text()).toBe('accepted')
    expect(await (await post('/send', cookie, t2)).text()).toBe('accepted')
  })

  it('a cookie the server did not make is ignored: a form gets a new one, and a POST with it is refused', async () => {
    const { a, name, post, deps } = app()
    const chosen = `${'A'.repeat(24)}.${'B'.repeat(22)}`
    const res = await a.request('/form', { headers: { cookie: `${name}=${chosen}` } })
    expect(cookieOf(res, name)).not.toBe(chosen)
    expect(cookieOf(res, name)).toBeTruthy()
    expect((await post('/send', chosen, deps.csrf.tokenFor(chosen))).status).toBe(403)
  })

  it('renewing sets a new cookie; tokens of the old one are refused after', async () => {
    const { a, name, post } = app()
    const res = await a.request('/form')
    const old = cookieOf(res, name)!
    const [token] = (await res.text()).split(' ') as [string]
    const renewed = await post('/renew', old, token)
    const fresh = cookieOf(renewed, name)!
    expect(fresh).not.toBe(old)
    expect((await post('/send', fresh, token)).status).toBe(403)
  })

  it('with COOKIE_SECURE the cookie is a __Host- cookie: Secure, Path=/, no Domain', async () => {
    const { a } = app(true)
    const line = (await a.request('/form')).headers.getSetCookie()[0]!
    expect(line).toMatch(/^__Host-cb_csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
  })
})
