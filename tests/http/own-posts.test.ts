import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'

// Your own posts in this session are marked, while the thread page stays one cached copy for every
// reader: each post carries its key's fingerprint (data-key), and a stylesheet of the session alone
// (/identity/own-posts.css, never stored) names the session's key.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const SHEET = '/identity/own-posts.css'
const sheetOf = async (c: Client) => {
  const res = await c.request(SHEET)
  return { res, css: await res.text() }
}
const postsOf = (page: string) => /<div id="posts"[\s\S]*?<\/div><nav|<div id="posts"[\s\S]*<\/article>\n<\/div>/.exec(page)?.[0] ?? ''

describe('own posts', () => {
  it('each session’s stylesheet names its own key only; the posts they read are the same bytes for both', async () => {
    const a = board.client()
    const b = board.client()
    const fa = await a.takeIdentity()
    const fb = await b.takeIdentity()
    await a.get('/c/lobby/general')
    const path = (await a.post('/c/lobby/general', { title: 'Ours', body: 'from a' })).res.headers.get('location')!
    await b.get(path)
    expect((await b.post(path, { body: 'from b' })).res.status).toBe(303)

    const pageA = (await a.get(path)).text
    const pageB = (await b.get(path)).text
    expect(pageA).toContain(`<article id="p1" class="post" data-key="${fa}">`)
    expect(pageA).toContain(`<article id="p2" class="post" data-key="${fb}">`)
    expect(postsOf(pageA)).not.toBe('')
    expect(postsOf(pageA)).toBe(postsOf(pageB))
    // Each session links its own address of the sheet (the same on each of its pages), never another's.
    const hrefA = /<link rel="stylesheet" href="(\/identity\/own-posts\.css\?s=[0-9a-f]{16})">/.exec(pageA)?.[1]
    const hrefB = /<link rel="stylesheet" href="(\/identity\/own-posts\.css\?s=[0-9a-f]{16})">/.exec(pageB)?.[1]
    expect(hrefA).toBeDefined()
    expect(hrefB).toBeDefined()
    expect(hrefA).not.toBe(hrefB)
    expect((await a.get('/c/lobby/general')).text).toContain(`href="${hrefA}"`)
    expect((await (await a.request(hrefA!)).text())).toContain(fa)

    const sa = await sheetOf(a)
    expect(sa.res.status).toBe(200)
    expect(sa.res.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(sa.res.headers.get('cache-control')).toBe('no-store')
    expect(sa.res.headers.get('cross-origin-resource-policy')).toBe('same-origin')
    expect(sa.css).toContain(`[data-key="${fa}"] > header > b::after { content: " (you)"; }`)
    expect(sa.css).not.toContain(fb)
    const sb = await sheetOf(b)
    expect(sb.css).toContain(`[data-key="${fb}"] > header > b::after`)
    expect(sb.css).not.toContain(fa)
    expect(sb.res.headers.get('vary')).toContain('Cookie')
  })

  it('asked for by another site (Sec-Fetch-Site), the stylesheet names nothing, whatever the cookie', async () => {
    const a = board.client()
    const fa = await a.takeIdentity()
    for (const site of ['same-origin', 'none']) expect(await (await a.request(SHEET, { headers: { 'sec-fetch-site': site } })).text(), site).toContain(fa)
    for (const site of ['cross-site', 'same-site']) expect(await (await a.request(SHEET, { headers: { 'sec-fetch-site': site } })).text(), site).toBe('')
  })

  it('with no session the stylesheet is empty and no page links it', async () => {
    const c = board.client()
    const { res, css } = await sheetOf(c)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(css).toBe('')
    expect((await c.get('/c/lobby/general')).text).not.toContain(SHEET)
  })

  it('after a burn it names nothing, even to the burned session’s cookie; the next identity’s names only the new key', async () => {
    const c = board.client()
    const burned = await c.takeIdentity()
    expect((await sheetOf(c)).css).toContain(burned)
    const old = new Map(c.cookies)
    await c.get('/identity')
    expect((await c.post('/identity/burn', {})).res.status).toBe(303)
    expect((await sheetOf(c)).css).toBe('')
    expect((await c.get('/c/lobby/general')).text).not.toContain(SHEET)
    const replay = board.client()
    replay.cookies = old
    expect((await sheetOf(replay)).css).toBe('')
    const next = await c.takeIdentity()
    const { css } = await sheetOf(c)
    expect(css).toContain(next)
    expect(css).not.toContain(burned)
  })
})
