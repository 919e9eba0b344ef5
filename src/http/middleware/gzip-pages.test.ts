import { Hono } from 'hono'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { Session } from '../../ephemeral/sessions.ts'
import type { AppEnv } from '../env.ts'
import { gzipPages } from './gzip-pages.ts'

const PAGE = `<!doctype html><p>${'A page of words, said again and again. '.repeat(40)}</p>`
const TOR = { 'accept-encoding': 'gzip, deflate' }

function app(cookieSecure = false) {
  const a = new Hono<AppEnv>()
  a.use(gzipPages({ cookieSecure }))
  a.get('/page', (c) => c.html(PAGE, 200, { 'X-Mine': 'kept' }))
  a.get('/missing', (c) => c.html(PAGE, 404))
  a.post('/page', (c) => c.html(PAGE))
  a.get('/key.asc', (c) => c.body(PAGE, 200, { 'Content-Type': 'application/pgp-keys' }))
  a.get('/deflated', (c) => c.body(PAGE, 200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Encoding': 'deflate' }))
  a.get('/takes-identity', (c) => c.html(PAGE, 200, { 'Set-Cookie': `${cookieSecure ? '__Host-' : ''}cb_session=abc; Path=/; HttpOnly` }))
  a.get('/shows-form', (c) => c.html(PAGE, 200, { 'Set-Cookie': 'cb_csrf=xyz; Path=/; HttpOnly' }))
  // A session as the app parsed it (viewer-context.ts), whatever the Cookie header looked like.
  a.get('/parsed', (c) => {
    c.set('session', { id: 'abc' } as Session)
    return c.html(PAGE)
  })
  a.get('/expired', (c) => {
    c.set('sessionExpired', true)
    return c.html(PAGE)
  })
  return a
}

describe('gzipPages', () => {
  it('gzips an HTML page a reader without a session GETs, any status, its headers kept', async () => {
    for (const [path, status] of [['/page', 200], ['/missing', 404], ['/shows-form', 200]] as const) {
      const res = await app().request(path, { headers: TOR })
      expect(res.status, path).toBe(status)
      expect(res.headers.get('content-encoding'), path).toBe('gzip')
      const body = new Uint8Array(await res.arrayBuffer())
      expect(Number(res.headers.get('content-length')), path).toBe(body.length)
      expect(body.length, path).toBeLessThan(PAGE.length / 4)
      expect(gunzipSync(body).toString(), path).toBe(PAGE)
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/)
    }
    const res = await app().request('/page', { headers: TOR })
    expect(res.headers.get('x-mine')).toBe('kept')
    expect((await app().request('/shows-form', { headers: TOR })).headers.getSetCookie()).toEqual(['cb_csrf=xyz; Path=/; HttpOnly'])
  })

  it('leaves a page as it is for a session, a page that makes one, a form answered, a reader who refuses gzip', async () => {
    const plain: [string, RequestInit, boolean?][] = [
      ['/page', { headers: { ...TOR, cookie: 'cb_lang=es; cb_session=abc' } }],
      ['/page', { headers: { ...TOR, cookie: '__Host-cb_session=abc' } }, true],
      ['/parsed', { headers: { ...TOR, cookie: 'cb_session =abc' } }],
      ['/expired', { headers: TOR }],
      ['/takes-identity', { headers: TOR }],
      ['/takes-identity', { headers: TOR }, true],
      ['/page', { method: 'POST', headers: TOR }],
      ['/page', { headers: { 'accept-encoding': 'gzip;q=0, deflate' } }],
      ['/page', {}],
      ['/key.asc', { headers: TOR }],
    ]
    for (const [path, init, secure] of plain) {
      const res = await app(secure).request(path, init)
      expect(res.headers.get('content-encoding'), `${path} ${JSON.stringify(init)}`).toBeNull()
      expect(await res.text()).toBe(PAGE)
    }
    // Compressed already by its route: passed on untouched.
    const deflated = await app().request('/deflated', { headers: TOR })
    expect(deflated.headers.get('content-encoding')).toBe('deflate')
    expect(await deflated.text()).toBe(PAGE)
  })
})
