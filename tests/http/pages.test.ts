import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheKey } from '../../src/services/page-cache.ts'
import { makeBoard } from '../support/app.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
let thread: string
beforeAll(async () => {
  board = await makeBoard()
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  thread = (await c.post('/c/lobby/general', { title: 'Headers', body: 'see https://example.org' })).res.headers.get('location')!
})
afterAll(() => board.close())

describe('browsing', () => {
  it('GET / lists the cells; the first start made "lobby"', async () => {
    const { res, text } = await board.client().get('/')
    expect(res.status).toBe(200)
    expect(text).toContain('<a href="/c/lobby">Lobby</a>')
  })

  it('GET /c/:cell shows the numbered line and the boards', async () => {
    const { text } = await board.client().get('/c/lobby')
    expect(text).toMatch(/<li value="1">Say what you mean/)
    expect(text).toContain('<li value="2">')
    expect(text).toContain('<a href="/c/lobby/general">General</a>')
  })

  it('GET /privacy is generated from the data-class registry', async () => {
    const { text } = await board.client().get('/privacy')
    expect(text).toContain('<code>body_html</code></td><td>published</td>')
    expect(text).toContain('IP addresses')
  })

  it('an unknown address → 404 page', async () => {
    const { res, text } = await board.client().get('/nothing/here')
    expect(res.status).toBe(404)
    expect(text).toContain('There is nothing at this address.')
  })
})

describe('the page cache', () => {
  it('readers without an identity share one cached page, which a new post replaces; a poster never gets it', async () => {
    const reader = board.client()
    const first = await reader.get(thread)
    expect(first.text).toContain('take an identity</a> first')
    const poster = board.client()
    await poster.takeIdentity()
    const own = await poster.get(thread)
    expect(own.text).toContain('<form id="reply"')
    expect(own.text).not.toContain('take an identity</a> first')
    expect((await poster.post(thread, { body: 'CACHEBUSTMARKER' })).res.status).toBe(303)
    for (const path of [thread, '/c/lobby/general']) {
      const again = await reader.get(path)
      expect(again.res.headers.get('set-cookie')).toBeNull()
      if (path === thread) expect(again.text).toContain('CACHEBUSTMARKER')
      else expect(again.text).toMatch(/Headers<\/a> <small>\d+ posts/)
    }
  })
})

describe('pages served whole to readers without a session', () => {
  it('the second view is the same bytes with the same headers; a new thread shows at once; a stale session cookie is not served the shared page', async () => {
    const reader = board.client()
    const first = await reader.request('/c/lobby/general')
    const firstText = await first.text()
    const second = await reader.request('/c/lobby/general')
    expect(await second.text()).toBe(firstText)
    for (const h of ['content-type', 'content-security-policy', 'x-content-type-options', 'referrer-policy', 'cache-control', 'vary', 'x-frame-options']) {
      expect(second.headers.get(h), h).toBe(first.headers.get(h))
      expect(second.headers.get(h), h).not.toBeNull()
    }
    expect(second.headers.get('set-cookie')).toBeNull()
    // A write replaces it at once.
    const poster = board.client()
    await poster.takeIdentity()
    await poster.get('/c/lobby/general')
    const title = `Fresh ${Math.random().toString(36).slice(2)}`
    expect((await poster.post('/c/lobby/general', { title, body: 'x' })).res.status).toBe(303)
    expect(await (await reader.request('/c/lobby/general')).text()).toContain(title)
    // A session cookie that no longer names a session is told so (the cookie is cleared), never
    // handed the shared page silently.
    const stale = await reader.request('/c/lobby/general', { headers: { cookie: 'cb_session=gone' } })
    expect(stale.headers.get('set-cookie')).toContain('cb_session=;')
    // Kept under its address, and a page number too; any other query is not (it would only fill
    // the cache with copies).
    await reader.request('/c/lobby/general')
    expect(board.deps.cache.get(cacheKey.address('', '/c/lobby/general'))).toBeDefined()
    expect((await reader.request('/c/lobby/general?page=1')).status).toBe(200)
    expect(board.deps.cache.get(cacheKey.address('', '/c/lobby/general?page=1'))).toBeDefined()
    expect((await reader.request('/c/lobby/general?utm=x')).status).toBe(200)
    expect(board.deps.cache.get(cacheKey.address('', '/c/lobby/general?utm=x'))).toBeUndefined()
  })
})

describe('headers on every response', () => {
  const expectStrict = (res: Response) => {
    const csp = res.headers.get('content-security-policy') ?? ''
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(d)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
  }

  it('pages, error pages, fragments, downloads and static files all carry the strict headers', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get(thread)
    const responses = [
      (await c.get('/')).res,
      (await c.get(thread)).res,
      (await c.get('/c/lobby/none')).res,
      (await c.post(thread, { body: 'frag' }, { 'HX-Request': 'true' })).res,
      (await c.post(thread, { body: '' }, { 'HX-Request': 'true' })).res,
      await c.request(`${thread}/p/1.asc`),
      await c.request('/static/style.css'),
      await c.request('/c/lobby/general', { method: 'POST', body: 'x'.repeat(70_000), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    ]
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 200, 422, 200, 200, 413])
    responses.forEach(expectStrict)
  })

  it('downloads are never swapped into a page by htmx: an htmx request for one gets HX-Reswap: none', async () => {
    const c = board.client()
    const asc = await c.request(`${thread}/p/1.asc`, { headers: { 'HX-Request': 'true' } })
    expect(asc.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(asc.headers.get('hx-reswap')).toBe('none')
    const page = await c.request(thread, { headers: { 'HX-Request': 'true' } })
    expect(page.headers.get('hx-reswap')).toBeNull()
    // And the links to them sit inside a part of the page htmx does not boost.
    expect(await page.text()).toMatch(/<div id="posts" hx-boost="false">[\s\S]*\/p\/1\.asc">signed text<\/a>/)
  })

  it('a reader who sees no form gets no cookie; a form brings an HttpOnly, SameSite=Strict session cookie', async () => {
    const c = board.client()
    for (const path of ['/', '/c/lobby', '/c/lobby/general', thread, '/privacy']) expect((await c.request(path)).headers.get('set-cookie'), path).toBeNull()
    const res = await c.request('/identity')
    // A random id and the server's MAC of it (src/ephemeral/csrf.ts).
    expect(res.headers.get('set-cookie')).toMatch(/^cb_csrf=[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Strict$/)
  })

  it('pages load nothing from another host: every src and href of the chrome is our own', async () => {
    const { text } = await board.client().get(thread)
    const chrome = text.replace(/<div id="posts"[^>]*>[\s\S]*<\/div>/, '')
    const urls = [...chrome.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]!)
    expect(urls.length).toBeGreaterThan(3)
    for (const u of urls) expect(u).toMatch(/^(\/|#)/)
    // htmx is served by us.
    expect(text).toContain('<script src="/static/htmx.min.js" defer></script>')
    const js = await board.client().request('/static/htmx.min.js')
    expect(js.status).toBe(200)
    expect((await js.text()).length).toBeGreaterThan(10_000)
  })
})
