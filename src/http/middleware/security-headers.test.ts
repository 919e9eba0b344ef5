import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../env.ts'
import { SECURITY_HEADERS, securityHeaders, sendBytes } from './security-headers.ts'

function app() {
  const a = new Hono<AppEnv>()
  a.use(securityHeaders)
  a.get('/page', (c) => c.html('<p>page</p>'))
  a.get('/cached', (c) => c.body('public', 200, { 'Cache-Control': 'public, max-age=60' }))
  a.get('/varies', (c) => c.body('mine', 200, { Vary: 'Cookie' }))
  a.get('/key.asc', (c) => c.body('KEY', 200, { 'Content-Type': 'application/pgp-keys' }))
  a.get('/bytes', (c) => sendBytes(c, 200, new TextEncoder().encode('<p>fast</p>')))
  a.get('/boom', () => {
    throw new Error('bug')
  })
  a.onError((_e, c) => c.text('error', 500))
  return a
}

describe('securityHeaders', () => {
  it('puts every security header on a page, and on an error response', async () => {
    for (const path of ['/page', '/boom']) {
      const res = await app().request(path)
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), `${path} ${name}`).toBe(value)
    }
  })
  it('keeps a Cache-Control a route chose', async () => {
    expect((await app().request('/cached')).headers.get('cache-control')).toBe('public, max-age=60')
  })
  it('keeps a Vary a route chose beside its own', async () => {
    expect((await app().request('/varies')).headers.get('vary')).toBe('Cookie, HX-Request, Accept-Encoding')
  })
  it('tells htmx never to swap a download into the page', async () => {
    expect((await app().request('/key.asc', { headers: { 'HX-Request': 'true' } })).headers.get('hx-reswap')).toBe('none')
    expect((await app().request('/page', { headers: { 'HX-Request': 'true' } })).headers.get('hx-reswap')).toBeNull()
  })
  it('sendBytes sends the same headers itself, as an HTML page', async () => {
    const res = await app().request('/bytes')
    expect(await res.text()).toBe('<p>fast</p>')
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value)
  })
})
