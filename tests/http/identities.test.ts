import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

describe('disposable identities', () => {
  it('one button makes a key pair; the identity page shows the pseudonym and is never cached', async () => {
    const c = board.client()
    const first = await c.get('/identity')
    expect(first.text).toContain('Take a disposable identity')
    const { res } = await c.post('/identity/disposable', {})
    expect(res.status).toBe(303)
    expect(res.headers.get('set-cookie')).toMatch(/cb_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/)
    const page = await c.get('/identity')
    expect(page.res.headers.get('cache-control')).toBe('no-store')
    const fpr = /<code class="fpr">([0-9a-f]{40})<\/code>/.exec(page.text)![1]!
    expect(page.text).toMatch(/You post as <b>[a-z]+-[a-z]+<\/b> <code>[0-9A-F]{4} [0-9A-F]{4}<\/code>/)
    expect(page.text).toContain(fpr)
    // The header on every page shows it too.
    expect((await c.get('/')).text).toContain(`title="${fpr}"`)
  })

  it('the private key downloads once, by a POST from the identity page; the page no longer offers it, and two minutes on → 410', async () => {
    let later = 0
    await board.close()
    board = await makeBoard({}, () => Date.now() + later)
    const c = board.client()
    await c.takeIdentity()
    const page = (await c.get('/identity')).text
    expect(page).toMatch(/<form method="post" action="\/identity\/private-key.asc" hx-boost="false">[\s\S]*?<button>Download the private key \(once\)<\/button><\/form>/)
    const r1 = await c.post('/identity/private-key.asc', {})
    expect(r1.res.status).toBe(200)
    expect(r1.res.headers.get('cache-control')).toBe('no-store')
    expect(r1.res.headers.get('content-disposition')).toContain('attachment')
    expect(r1.text).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
    // The same form sent again at once (a double click; on a slow Tor circuit the browser shows
    // the second answer, and the first, with the key, is dropped): the same key, not a 410 that
    // left the person without it (a new user's walkthrough found it).
    const again = await c.post('/identity/private-key.asc', {})
    expect(again.res.status).toBe(200)
    expect(again.text).toBe(r1.text)
    expect((await c.get('/identity')).text).toContain('no longer available for download')
    later += 119_000
    expect((await c.post('/identity/private-key.asc', {})).res.status).toBe(200)
    later += 2_000
    const r2 = await c.post('/identity/private-key.asc', {})
    expect(r2.res.status).toBe(410)
    expect(r2.text).not.toContain('PRIVATE KEY BLOCK')
    expect((await c.get('/identity')).text).toContain('no longer available for download')
  })

  it('the page says how to go on as this identity from GnuPG: import the private key, burn here, log in with it (nothing said to burn first)', async () => {
    const c = board.client()
    await c.takeIdentity()
    const said = 'To go on as this identity from GnuPG: import the private key you downloaded'
    expect((await c.get('/identity')).text).toContain(said)
    const page = (await c.get('/identity')).text
    const token = /name="_csrf" value="([^"]+)"/.exec(page)![1]!
    const key = /name="_key" value="([^"]+)"/.exec(page)![1]!
    expect((await c.post('/identity/private-key.asc', { _csrf: token, _key: key })).res.status).toBe(200)
    expect((await c.get('/identity')).text).toContain(said)
  })

  it('a HEAD or GET of the private key (a prefetch, a link preview) → 405 and never uses up its one download', async () => {
    const c = board.client()
    await c.takeIdentity()
    const head = await c.request('/identity/private-key.asc', { method: 'HEAD' })
    expect(head.status).toBe(405)
    expect(head.headers.get('allow')).toBe('POST')
    const get = await c.get('/identity/private-key.asc')
    expect(get.res.status).toBe(405)
    expect(get.text).toContain('the button on your identity page')
    expect(get.text).not.toContain('PRIVATE KEY BLOCK')
    await c.get('/identity')
    const r = await c.post('/identity/private-key.asc', {})
    expect(r.res.status).toBe(200)
    expect(r.text).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
  })

  it('the private key is not handed out to a request without this browser’s form token', async () => {
    const c = board.client()
    await c.takeIdentity()
    const r = await c.request('/identity/private-key.asc', { method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(r.status).toBe(403)
    expect(await r.text()).not.toContain('PRIVATE KEY BLOCK')
    await c.get('/identity')
    expect((await c.post('/identity/private-key.asc', {})).res.status).toBe(200)
  })

  it('burning the identity ends the session at once: its key is forgotten and posting is refused', async () => {
    const c = board.client()
    await c.takeIdentity()
    const sessionId = c.cookies.get('cb_session')!
    expect(await board.deps.sessions.get(sessionId)).not.toBeNull()
    const { res } = await c.post('/identity/burn', {})
    expect(res.status).toBe(303)
    expect(await board.deps.sessions.get(sessionId)).toBeNull()
    expect(c.cookies.has('cb_session')).toBe(false)
    expect((await c.get('/identity?burned=1')).text).toContain('Your identity was burned')
    expect((await c.request('/identity/public-key.asc')).status).toBe(404)
    // Even with the old cookie replayed, the session is gone.
    c.cookies.set('cb_session', sessionId)
    await c.get('/c/lobby/general')
    const post = await c.post('/c/lobby/general', { title: 't', body: 'b' })
    expect(post.res.status).toBe(403)
  })

  it('taking, logging in and burning each close their connection: the next identity starts on a new one', async () => {
    const c = board.client()
    await c.get('/identity')
    const taken = await c.request('/identity/disposable', { method: 'POST', body: new URLSearchParams({ _csrf: c.csrf }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(taken.status).toBe(303)
    expect(taken.headers.get('connection')).toBe('close')
    const page = await c.get('/identity')
    expect(page.res.headers.get('connection')).toBeNull()
    const burned = await c.post('/identity/burn', {})
    expect(burned.res.status).toBe(303)
    expect(burned.res.headers.get('connection')).toBe('close')
  })

  it('taking a new identity ends the previous session', async () => {
    const c = board.client()
    const first = await c.takeIdentity()
    const firstSession = c.cookies.get('cb_session')!
    const second = await c.takeIdentity()
    expect(second).not.toBe(first)
    expect(await board.deps.sessions.get(firstSession)).toBeNull()
  })

  it('the database files never contain the session id or the private key, before or after burning', async () => {
    const c = board.client()
    await c.takeIdentity()
    const sessionId = c.cookies.get('cb_session')!
    const privateKey = (await c.post('/identity/private-key.asc', {})).text
    await c.get('/c/lobby/general')
    expect((await c.post('/c/lobby/general', { title: 'marker thread', body: 'signed by the session key' })).res.status).toBe(303)
    // The lines of the armored private key that are secret material (not the public part).
    const secretLines = privateKey.split('\n').filter((l) => /^[A-Za-z0-9+/=]{60,}$/.test(l))
    expect(secretLines.length).toBeGreaterThan(3)
    const scan = async () => {
      // The scan can find things: the published post is there.
      expect(Object.keys(await board.findPresentMarkers(['signed by the session key']))).toHaveLength(1)
      expect(await board.findMarkers([sessionId, ...secretLines])).toEqual({})
    }
    await scan()
    await c.post('/identity/burn', {})
    await board.deps.storage.finishForgetting()
    await scan()
  })
})
