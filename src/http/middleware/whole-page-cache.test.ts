import { Hono } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../config.ts'
import { cacheKey, PageCache } from '../../services/page-cache.ts'
import { MemorySessionStore, type Session } from '../../ephemeral/sessions.ts'
import { cookieName } from '../cookies.ts'
import type { AppEnv } from '../env.ts'
import { cookieHeadersSeen, dropOwnPagesOnEnd, keepByAddress, keepOwnPage, ownPageHash, wholePageCache } from './whole-page-cache.ts'

/** Routes that count how often they build their page; a page is kept whole under its address. */
function app() {
  const deps = { cache: new PageCache(), config: loadConfig({}), sessions: new MemorySessionStore(60_000), now: Date.now }
  let built = 0
  const a = new Hono<AppEnv>()
  a.use(wholePageCache(deps))
  a.get('/c/lobby/general', (c) => {
    built++
    keepByAddress(c, deps, { meta: null, bytes: new TextEncoder().encode(`page ${built}`), tags: ['board:1'] }, c.get('cacheSince'))
    return c.text(`page ${built}`)
  })
  return { a, deps, built: () => built }
}

describe('wholePageCache', () => {
  it('a reader without a session gets the kept bytes without the route running again', async () => {
    const { a, built } = app()
    expect(await (await a.request('/c/lobby/general')).text()).toBe('page 1')
    const again = await a.request('/c/lobby/general')
    expect(await again.text()).toBe('page 1')
    expect(again.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(built()).toBe(1)
  })
  it('a page number is part of the address; any other query, a session cookie or htmx goes to the route', async () => {
    const { a, built } = app()
    await a.request('/c/lobby/general?page=2')
    await a.request('/c/lobby/general?page=2')
    expect(built()).toBe(1)
    for (const [path, headers] of [['/c/lobby/general?page=2&x=1', {}], ['/c/lobby/general?page=2', { cookie: 'cb_session=abc' }], ['/c/lobby/general?page=2', { 'HX-Request': 'true' }]] as const) {
      await a.request(path, { headers })
    }
    expect(built()).toBe(4)
  })
  it('a dropped tag takes the kept page with it', async () => {
    const { a, deps, built } = app()
    await a.request('/c/lobby/general')
    deps.cache.drop(['board:1'])
    await a.request('/c/lobby/general')
    expect(built()).toBe(2)
  })
  it('a reader who picked a language gets the page in it, kept apart from the one without a choice', async () => {
    const { a, built } = app()
    await a.request('/c/lobby/general')
    await a.request('/c/lobby/general', { headers: { cookie: 'cb_lang=es' } })
    await a.request('/c/lobby/general', { headers: { cookie: 'x=1; cb_lang=es' } })
    expect(built()).toBe(2)
    // A language not spoken here is no choice: the page without one.
    await a.request('/c/lobby/general', { headers: { cookie: 'cb_lang=xx' } })
    expect(built()).toBe(2)
    await a.request('/c/lobby/general', { headers: { cookie: 'cb_lang=ar' } })
    expect(built()).toBe(3)
  })
  it('a form sent with a thousand session cookies drops what at most four of them name, in one go', async () => {
    const { a, deps } = app()
    // As an attacker would send it, before any check: each name used to cost a scan of the cache.
    const drops: (string[] | null)[] = []
    const drop = deps.cache.drop.bind(deps.cache)
    deps.cache.drop = (tags) => (drops.push(tags), drop(tags))
    const cookie = Array.from({ length: 1000 }, (_, i) => `cb_session=s${i}`).join('; ')
    await a.request('/c/lobby/general', { method: 'POST', headers: { cookie } })
    expect(drops).toHaveLength(1)
    expect(drops[0]).toHaveLength(4)
    // The same session said twice is one.
    drops.length = 0
    await a.request('/c/lobby/general', { method: 'POST', headers: { cookie: 'cb_session=one; cb_session=one' } })
    expect(drops).toHaveLength(1)
    expect(drops[0]).toHaveLength(1)
  })
  it("a reader's own page and the Cookie header it came with are gone within a minute on a node that hears nothing more", async () => {
    // A session that falls idle in Redis ends without a word: nothing else would let them go.
    vi.useFakeTimers()
    try {
      const deps = { cache: new PageCache(), config: loadConfig({}), sessions: new MemorySessionStore(3_600_000), now: Date.now }
      dropOwnPagesOnEnd(deps)
      const session = { id: 'sid123', fingerprint: 'F'.repeat(40) } as Session
      const a = new Hono<AppEnv>()
      a.use(wholePageCache(deps))
      a.get('/own', (c) => {
        c.set('session', session)
        c.set('csrfCookie', 'tok456')
        keepOwnPage(c, deps, new TextEncoder().encode('my page'), false, ['board:1'], c.get('cacheSince'))
        return c.text('my page')
      })
      const cookie = `${cookieName(deps.config, 'session')}=sid123; ${cookieName(deps.config, 'csrf')}=tok456`
      await a.request('/own', { headers: { cookie } })
      const key = cacheKey.own(ownPageHash('sid123'), '', 'identity', '/own')
      expect(deps.cache.get(key)).toBeDefined()
      expect(cookieHeadersSeen()).toBeGreaterThan(0)
      vi.advanceTimersByTime(60_000)
      expect(deps.cache.get(key)).toBeUndefined()
      expect(cookieHeadersSeen()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
  it("the minute's sweep does not keep an app's cache alive once the app is let go of", async () => {
    // The tests make many apps: a timer holding each one's cache would keep them all.
    const { setFlagsFromString } = await import('node:v8')
    const { runInNewContext } = await import('node:vm')
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    let collected = false
    const registry = new FinalizationRegistry(() => (collected = true))
    ;(() => {
      const deps = { cache: new PageCache(), sessions: new MemorySessionStore(60_000) }
      dropOwnPagesOnEnd(deps)
      registry.register(deps.cache, 'cache')
      deps.sessions.close()
    })()
    for (let i = 0; i < 20 && !collected; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(collected).toBe(true)
  })
})
