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

  it('the private key downloads once; the second time → 410, and the page no longer offers it', async () => {
    const c = board.client()
    await c.takeIdentity()
    expect((await c.get('/identity')).text).toContain('Download the private key (once)')
    const r1 = await c.request('/identity/private-key.asc')
    expect(r1.status).toBe(200)
    expect(r1.headers.get('cache-control')).toBe('no-store')
    expect(r1.headers.get('content-disposition')).toContain('attachment')
    expect(await r1.text()).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
    const r2 = await c.request('/identity/private-key.asc')
    expect(r2.status).toBe(410)
    expect((await c.get('/identity')).text).toContain('no longer available for download')
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
    const privateKey = await (await c.request('/identity/private-key.asc')).text()
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
