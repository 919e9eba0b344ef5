import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'
import { withCellKey } from '../support/letters.ts'
import { questionsOf } from '../support/questions.ts'

// A page that answers a form sent (a preview, a refusal, "letter sent", a ballot to confirm) sits
// at the address the form posted to, which only takes POST. Its links back (the refusal's "open
// the form again", the language switch at its foot) led there and were a 404 with JavaScript off,
// the text typed lost (a new user's walkthrough found it). Each now leads to the page holding the form.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const decode = (s: string) => s.replace(/&amp;/g, '&')
/** Where each link back on a page leads: "open the form again" and every language's switch, followed. */
async function waysBack(c: Client, page: string) {
  const again = [...page.matchAll(/<a href="([^"]+)">(?:open the form again|Open the form again)<\/a>/g)].map((m) => decode(m[1]!))
  const switches = [...page.matchAll(/<a href="(\/lang\?to=[a-z]+&amp;next=[^"]*)"/g)].map((m) => decode(m[1]!))
  expect(switches.length).toBeGreaterThan(0)
  const landed: [string, number][] = []
  for (const href of again) landed.push([href, (await c.get(href)).res.status])
  for (const href of switches) {
    const r = await c.get(href)
    expect(r.res.status).toBe(303)
    const to = r.res.headers.get('location')!
    landed.push([to, (await c.get(to)).res.status])
    await c.get('/lang?to=page&next=/')
  }
  return landed
}
const stale = (c: Client, path: string, fields: Record<string, string>) =>
  c.request(path, { method: 'POST', body: new URLSearchParams({ _csrf: 'stale', ...fields }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })

describe('the way back from a page a form was answered with', () => {
  it('a refused preview (stale token), of a thread and of a reply: back to the board and to the thread', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const thread = (await c.post('/c/lobby/general', { title: 'Here', body: 'first' })).res.headers.get('location')!
    for (const [path, form] of [['/c/lobby/general/preview', '/c/lobby/general'], [`${thread}/preview`, thread]] as const) {
      const res = await stale(c, path, { title: 'T', body: 'words kept' })
      expect(res.status).toBe(403)
      const landed = await waysBack(c, await res.text())
      expect(landed.map(([to]) => to.replace(/\?.*/, ''))).toEqual(landed.map(() => form))
      expect(landed.every(([, s]) => s === 200), JSON.stringify(landed)).toBe(true)
    }
  })

  it('a preview shown (200): its language switch comes back to the board, not to the preview’s address', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const r = await c.post('/c/lobby/general/preview', { title: 'T', body: 'to see first' })
    expect(r.res.status).toBe(200)
    const landed = await waysBack(c, r.text)
    expect(landed.every(([to, s]) => to === '/c/lobby/general' && s === 200), JSON.stringify(landed)).toBe(true)
  })

  it('a letter sent, and a letter refused: back to the letter form', async () => {
    await withCellKey(board)
    const c = board.client()
    await c.get('/c/lobby/letters/new')
    const sent = await c.post('/c/lobby/letters', { text: 'Hello' })
    expect(sent.res.status).toBe(200)
    const refused = await stale(c, '/c/lobby/letters', { text: 'Hello again' })
    expect(refused.status).toBe(403)
    for (const page of [sent.text, await refused.text()]) {
      const landed = await waysBack(c, page)
      expect(landed.every(([to, s]) => to === '/c/lobby/letters/new' && s === 200), JSON.stringify(landed)).toBe(true)
    }
  })

  it('an identity refused, and a ballot to confirm: back to /identity and to the question', async () => {
    // The private key's address has a dot, which no return path has: it comes back to /identity too.
    for (const path of ['/identity/disposable', '/identity/private-key.asc']) {
      const refused = await stale(board.client(), path, {})
      expect(refused.status).toBe(403)
      const c = board.client()
      const landed = await waysBack(c, await refused.text())
      expect(landed.every(([to, s]) => to === '/identity' && s === 200), JSON.stringify(landed)).toBe(true)
    }

    const q = questionsOf(board)
    const v = await q.threeVoters()
    const n = await q.raised(v.gpg.c, { kind: 'amend_line', change: 'add', principle: '1', text: 'Be kind.', argument: 'Shorter.' })
    await v.disposable.c.get(`/c/lobby/questions/${n}`)
    const confirm = await v.disposable.c.post(`/c/lobby/questions/${n}/ballot`, { choice: 'yes' })
    expect(confirm.res.status).toBe(200)
    const back = await waysBack(v.disposable.c, confirm.text)
    expect(back.every(([to, s]) => to === `/c/lobby/questions/${n}` && s === 200), JSON.stringify(back)).toBe(true)
  })

  it('with JavaScript on (a boosted form), a page in answer keeps the address bar at the form’s page; a redirect moves it as before', async () => {
    // htmx put the POST-only address there, and a reload was a 404 with the text gone.
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const boosted = { 'HX-Request': 'true', 'HX-Boosted': 'true' }
    const preview = await c.post('/c/lobby/general/preview', { title: 'T', body: 'to see first' }, boosted)
    expect(preview.res.status).toBe(200)
    expect(preview.res.headers.get('hx-push-url')).toBe('false')
    await c.get('/c/lobby/general')
    const refused = await c.post('/c/lobby/general', { title: '', body: 'no title' }, boosted)
    expect(refused.res.status).toBe(422)
    expect(refused.res.headers.get('hx-push-url')).toBe('false')
    await c.get('/c/lobby/general')
    const posted = await c.post('/c/lobby/general', { title: 'Fine', body: 'posted' }, boosted)
    expect(posted.res.status).toBe(303)
    expect(posted.res.headers.get('hx-push-url')).toBeNull()
  })

  it('"take an identity" on a later page of a thread comes back to that page, not to page 1', async () => {
    await board.close()
    board = await makeBoard({ POSTS_PER_PAGE: '2' })
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const thread = (await c.post('/c/lobby/general', { title: 'Long', body: 'first' })).res.headers.get('location')!
    for (const body of ['second', 'third-words']) {
      await c.get(`${thread}?page=last`)
      expect((await c.post(thread, { body })).res.status).toBe(303)
    }
    const reader = board.client()
    const page2 = (await reader.get(`${thread}?page=2`)).text
    expect(page2).toContain('third-words')
    const link = /<a href="(\/identity\?next=[^"]+)">take an identity<\/a>/.exec(page2)?.[1]?.replace(/&amp;/g, '&')
    expect(link).toBe(`/identity?next=${encodeURIComponent(`${thread}?page=2`)}`)
    const taken = await reader.post('/identity/disposable', { next: `${thread}?page=2` })
    const after = (await reader.get(taken.res.headers.get('location')!)).text
    const back = /<p class="notice"><a href="([^"]+)">Continue to where you were<\/a>/.exec(after)?.[1]?.replace(/&amp;/g, '&')
    expect(back).toBe(`${thread}?page=2`)
    const again = (await reader.get(back!)).text
    expect(again).toContain('third-words')
    expect(again).toContain(`action="${thread}#reply"`)
    // Page 1 keeps its plain address.
    expect((await board.client().get(thread)).text).toContain(`href="/identity?next=${encodeURIComponent(thread)}"`)
    // So does the header's "take an identity" on other pages (it led to /identity alone, and the reader
    // was left there); on a board's or a thread's page the form section's link does (bytes on the wire).
    const header = (text: string) => /<header class="top">[\s\S]*?<\/header>/.exec(text)![0]
    expect(header(page2)).toContain('<a href="/identity">Take an identity</a>')
    expect(header((await board.client().get('/c/lobby')).text)).toContain('<a href="/identity?next=%2Fc%2Flobby">Take an identity</a>')
    expect(header((await board.client().get('/c/lobby/questions')).text)).toContain('<a href="/identity?next=%2Fc%2Flobby%2Fquestions">Take an identity</a>')
    expect(header((await board.client().get('/')).text)).toContain('<a href="/identity">Take an identity</a>')
    // Not from a letter's pages: a new identity's request does not say it came from writing a letter.
    await withCellKey(board)
    const writer = board.client()
    expect(header((await writer.get('/c/lobby/letters/new')).text)).toContain('<a href="/identity">Take an identity</a>')
    const sent = await writer.post('/c/lobby/letters', { text: 'a letter' })
    expect(sent.res.status).toBe(200)
    expect(header(sent.text)).toContain('<a href="/identity">Take an identity</a>')
  })
})
