import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OWN_PAGE_MS } from '../../src/http/middleware/whole-page-cache.ts'
import { makeBoard, type Client } from '../support/app.ts'

// Issue 15: a reader's own page (their identity, their form token around the cached posts) is kept
// whole for a few seconds and sent again as it was. Each build masks the form token afresh, so the
// token tells a page sent again (the same token) from one built again (another). What the page was
// built from must drop it: a post by anyone, the reader's own form, a burn, the time running out;
// and no other reader may ever get it.

let now = Date.parse('2026-12-03T09:00:00Z')
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard({}, () => now)))
afterEach(() => board.close())

const tokenOf = (page: string) => /<input type="hidden" name="_csrf" value="([^"]+)"/.exec(page)?.[1]
async function twice(c: Client, path: string) {
  const a = (await c.get(path)).text
  const b = (await c.get(path)).text
  expect(tokenOf(a)).toBeDefined()
  return { a, b, kept: tokenOf(a) === tokenOf(b) }
}

async function thread(c: Client) {
  await c.get('/c/lobby/general')
  const { res } = await c.post('/c/lobby/general', { title: 'Kept pages', body: 'the first post' })
  expect(res.status).toBe(303)
  return res.headers.get('location')!
}

describe('a reader’s own page, kept for a few seconds', () => {
  it('is sent again as it was, to that reader only; a time later it is built again', async () => {
    const a = board.client()
    const fa = await a.takeIdentity()
    const path = await thread(a)
    const seen = await twice(a, path)
    expect(seen.kept).toBe(true)
    expect(seen.b).toBe(seen.a)
    expect(seen.a).toContain(`<input type="hidden" name="_key" value="${fa}">`)

    // Another reader, at the same address: their own page, never the first reader's.
    const b = board.client()
    const fb = await b.takeIdentity()
    const theirs = (await b.get(path)).text
    expect(theirs).toContain(`name="_key" value="${fb}"`)
    expect(theirs).not.toContain(`name="_key" value="${fa}"`)
    expect(theirs).not.toContain(`<a href="/identity" title="${fa}">`)
    expect(tokenOf(theirs)).not.toBe(tokenOf(seen.a))

    now += OWN_PAGE_MS - 1
    expect(tokenOf((await a.get(path)).text)).toBe(tokenOf(seen.a))
    now += 1
    expect(tokenOf((await a.get(path)).text)).not.toBe(tokenOf(seen.a))
  })

  it('a post by anyone, and the reader’s own form, drop it', async () => {
    const a = board.client()
    await a.takeIdentity()
    const path = await thread(a)
    expect((await twice(a, path)).kept).toBe(true)

    const b = board.client()
    await b.takeIdentity()
    await b.get(path)
    expect((await b.post(path, { body: 'another reader wrote this' })).res.status).toBe(303)
    const after = (await a.get(path)).text
    expect(after).toContain('another reader wrote this')

    expect((await twice(a, path)).kept).toBe(true)
    // A form of the reader's own, even one that changes no post (a preview), drops their pages.
    const before = tokenOf((await a.get(path)).text)
    expect((await a.post(`${path}/preview`, { body: 'only a preview' })).res.status).toBe(200)
    expect(tokenOf((await a.get(path)).text)).not.toBe(before)
  })

  it('a burn drops it, and the burned session’s cookie gets no page of it', async () => {
    const a = board.client()
    const fa = await a.takeIdentity()
    const path = await thread(a)
    expect((await twice(a, path)).kept).toBe(true)
    const held = new Map(a.cookies)
    expect((await a.post('/identity/burn', {})).res.status).toBe(303)
    // The old cookies, sent again as a copy of the browser would: the session has ended.
    const copy = board.client()
    copy.cookies = held
    const page = (await copy.get(path)).text
    expect(page).not.toContain(`name="_key" value="${fa}"`)
    expect(page).not.toContain(`<a href="/identity" title="${fa}">`)
    expect(page).toContain('Take an identity')
  })

  it('another language, another form-token cookie, htmx or another query: built, not sent again', async () => {
    const a = board.client()
    await a.takeIdentity()
    const path = await thread(a)
    const { a: first, kept } = await twice(a, path)
    expect(kept).toBe(true)
    const csrf = [...a.cookies.keys()].find((k) => k.endsWith('cb_csrf'))!
    const asIs = a.cookies.get(csrf)!
    for (const [label, get] of [
      ['language', async () => (a.cookies.set('cb_lang', 'es'), await a.get(path).finally(() => a.cookies.delete('cb_lang')))],
      ['other query', () => a.get(`${path}?x=1`)],
      ['htmx', () => a.get(path, { 'HX-Request': 'true' })],
    ] as const) {
      const got = (await get()).text
      expect(tokenOf(got), label).not.toBe(tokenOf(first))
    }
    a.cookies.set(csrf, `${asIs.slice(0, -1)}${asIs.endsWith('A') ? 'B' : 'A'}`)
    expect(tokenOf((await a.get(path)).text)).not.toBe(tokenOf(first))
  })
})
