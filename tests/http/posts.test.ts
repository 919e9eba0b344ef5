import * as openpgp from 'openpgp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBoard } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.UTC(2026, 10, 22, 9, 41, 17)
  board = await makeBoard({}, () => now)
})
afterEach(() => board.close())

const GENERAL = '/c/lobby/general'
const counts = async () => ({ threads: await board.count('thread'), posts: await board.count('post'), keys: await board.count('public_key') })

async function poster(): Promise<Client> {
  const c = board.client()
  await c.takeIdentity()
  await c.get(GENERAL)
  return c
}

async function startThread(c: Client, title = 'First thread', body = 'Hello *cell*.') {
  const { res } = await c.post(GENERAL, { title, body })
  expect(res.status).toBe(303)
  return res.headers.get('location')!
}

describe('starting a thread and replying, JS off (Post/Redirect/Get)', () => {
  it('POST /c/:cell/:board with a title and body → 303 to the thread, which shows it signed by the pseudonym', async () => {
    const c = board.client()
    const fpr = await c.takeIdentity()
    await c.get(GENERAL)
    const location = await startThread(c, 'A <b>title</b>', 'Hello *cell*.')
    expect(location).toMatch(/^\/c\/lobby\/general\/t\/\d+$/)
    const { res, text } = await c.get(location)
    expect(res.status).toBe(200)
    expect(text).toContain('<h1>A &lt;b&gt;title&lt;/b&gt;</h1>')
    expect(text).toContain('<p>Hello <em>cell</em>.</p>')
    expect(text).toContain(`<a href="/k/${fpr}.asc">key</a>`)
    expect(text).toMatch(/<i class="sig">disposable<\/i>/)
    // Coarse time: 09:41:17 is shown (and stored) as 09:00.
    expect(text).toContain('Nov 22, 2026, 09:00 UTC')
    // and says why, once above the posts (not on each time: 200 of them on a long page).
    expect(text).toContain('<time datetime="2026-11-22T09:00Z">Nov 22, 2026, 09:00 UTC</time>')
    expect(text.indexOf('Times are rounded down on purpose')).toBeLessThan(text.indexOf('<article'))
    // The note above the posts is one line; what each signing means is behind it.
    expect(text).toContain('<details class="hint"><summary>Each post says how it was signed; its time is rounded down.</summary>')
    expect(text).toContain('<li><i>session-attested</i>: not signed; the session proved the key</li>')
    expect(await board.column('select created_at from post')).toEqual(['2026-11-22T09:00:00.000Z'])
    // So are the times inside the downloads: the signature's, and every packet's of the key.
    const asc = await (await c.request(`${location}/p/1.asc`)).text()
    const signature = (await openpgp.readSignature({ armoredSignature: asc.slice(asc.indexOf('-----BEGIN PGP SIGNATURE-----')) })).packets[0]!
    expect(signature.created!.toISOString()).toBe('2026-11-22T09:00:00.000Z')
    const key = await openpgp.readKey({ armoredKey: await (await c.request(`/k/${fpr}.asc`)).text() })
    const times = [
      ...key.getKeys().map((k) => k.getCreationTime()),
      ...key.users.flatMap((u) => u.selfCertifications.map((s) => s.created!)),
      ...key.subkeys.flatMap((k) => k.bindingSignatures.map((s) => s.created!)),
    ]
    expect(times).toHaveLength(4)
    for (const t of times) expect(t.toISOString()).toBe('2026-11-22T09:00:00.000Z')
    // The board lists it.
    expect((await c.get(GENERAL)).text).toContain(`<a href="${location}">A &lt;b&gt;title&lt;/b&gt;</a>`)
  })

  it('POST a reply → 303 to the page and anchor of the new post; post numbers count up', async () => {
    const c = await poster()
    const thread = await startThread(c)
    const { res } = await c.post(thread, { body: 'A reply to >>1' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${thread}?page=1#p2`)
    const { text } = await c.get(thread)
    expect(text).toContain('<article id="p2"')
    expect(text).toContain(`<a class="ref" href="${thread}/p/1">&gt;&gt;1</a>`)
    // The stable address of post 1 redirects to its page.
    const r = await c.request(`${thread}/p/1`)
    expect(r.status).toBe(303)
    expect(r.headers.get('location')).toBe(`${thread}?page=1#p1`)
  })

  it('pages a long thread: the reply on page 2 redirects there, and page 3 is 404', async () => {
    await board.close()
    board = await makeBoard({ POSTS_PER_PAGE: '2' }, () => now)
    const c = await poster()
    const thread = await startThread(c)
    await c.post(thread, { body: 'two' })
    const { res } = await c.post(thread, { body: 'three' })
    expect(res.headers.get('location')).toBe(`${thread}?page=2#p3`)
    const page2 = await c.get(`${thread}?page=2`)
    expect(page2.text).toContain('<article id="p3"')
    expect(page2.text).not.toContain('<article id="p1"')
    expect(page2.text).toContain('aria-current="page">2</a>')
    expect((await c.get(`${thread}?page=3`)).res.status).toBe(404)
    expect((await c.get(`${thread}?page=zero`)).res.status).toBe(404)
  })

  it('orders a board by last activity', async () => {
    const c = await poster()
    const older = await startThread(c, 'Older thread')
    await startThread(c, 'Newer thread')
    let text = (await c.get(GENERAL)).text
    expect(text.indexOf('Newer thread')).toBeLessThan(text.indexOf('Older thread'))
    await c.post(older, { body: 'bump' })
    text = (await c.get(GENERAL)).text
    expect(text.indexOf('Older thread')).toBeLessThan(text.indexOf('Newer thread'))
    expect(text).toContain('2 posts')
  })
})

describe('replying with htmx', () => {
  it('an htmx reply gets the new post as a fragment and a fresh empty form out of band; Vary: HX-Request', async () => {
    const c = await poster()
    const thread = await startThread(c)
    const { res, text } = await c.post(thread, { body: 'inline **reply**' }, { 'HX-Request': 'true' })
    expect(res.status).toBe(200)
    expect(res.headers.get('vary')).toContain('HX-Request')
    expect(text).toMatch(/^<article id="p2" class="post" data-key="[0-9a-f]+">/)
    expect(text).toContain('<strong>reply</strong>')
    expect(text).toContain('<form id="reply" method="post"')
    expect(text).toContain('hx-swap-oob="true"')
    expect(text).toMatch(/<textarea id="reply-body"[^>]*><\/textarea>/)
    expect(text).not.toContain('<html')
  })

  it('an htmx reply with an empty body → 422 and the form with its error, retargeted to the form', async () => {
    const c = await poster()
    const thread = await startThread(c)
    const before = await counts()
    const { res, text } = await c.post(thread, { body: '   ' }, { 'HX-Request': 'true' })
    expect(res.status).toBe(422)
    expect(res.headers.get('hx-retarget')).toBe('#reply')
    expect(text).toContain('id="body-error"')
    expect(text).not.toContain('<html')
    expect(await counts()).toEqual(before)
  })
})

describe('bad input gets a clear answer and nothing is stored', () => {
  it('POST /c/:cell/:board with an empty title and body → 422, messages beside both fields, nothing stored', async () => {
    const c = await poster()
    const before = await counts()
    const { res, text } = await c.post(GENERAL, { title: '', body: '' })
    expect(res.status).toBe(422)
    expect(text).toContain('<p class="field-error" id="title-error">')
    expect(text).toContain('<p class="field-error" id="body-error">')
    expect(await counts()).toEqual(before)
  })

  it('an over-long title or body → 422 with the input kept in the form', async () => {
    const c = await poster()
    const before = await counts()
    let r = await c.post(GENERAL, { title: 'x'.repeat(201), body: 'kept body' })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('At most 200 characters; this has 201.')
    expect(r.text).toContain('>kept body</textarea>')
    expect(r.text).toContain(`value="${'x'.repeat(201)}"`)
    r = await c.post(GENERAL, { title: 'fine', body: 'y'.repeat(20_001) })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('At most 20,000 characters')
    expect(await counts()).toEqual(before)
  })

  it('NUL and control characters → 400, the text kept', async () => {
    const c = await poster()
    const thread = await startThread(c)
    const before = await counts()
    const { res, text } = await c.post(thread, { body: 'before\u0000after' })
    expect(res.status).toBe(400)
    expect(text).toContain('Remove control characters')
    expect(await counts()).toEqual(before)
  })

  it('a body that is not UTF-8, or a percent-escape that is not, → 400', async () => {
    const c = await poster()
    const before = await counts()
    const head = new TextEncoder().encode(`_csrf=${c.csrf}&title=ok&body=`)
    const raw = new Uint8Array([...head, 0xff, 0xfe, 0x41])
    let res = await c.request(GENERAL, { method: 'POST', body: raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('not valid UTF-8')
    res = await c.request(GENERAL, { method: 'POST', body: `_csrf=${c.csrf}&title=ok&body=%C3%28`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(400)
    expect(await counts()).toEqual(before)
  })

  it('a missing or wrong form token → 403, the text shown read-only with a link to the empty form, which works', async () => {
    const c = await poster()
    const before = await counts()
    for (const token of ['', 'forged-token']) {
      const body = new URLSearchParams({ _csrf: token, title: 'My title', body: 'Words I do not want to lose' }).toString()
      const res = await c.request(GENERAL, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      const text = await res.text()
      expect(res.status).toBe(403)
      expect(text).toContain('has expired or did not come from this site')
      expect(text).toContain('readonly>Words I do not want to lose</textarea>')
      // No form that would send the text again (the header's search form is a GET of its own).
      expect(text).not.toMatch(/<form[^>]*method="post"/)
      expect(text).toContain(`<a href="${GENERAL}">open the form again</a>`)
    }
    expect(await counts()).toEqual(before)
    // The form on that page works.
    await c.get(GENERAL)
    const { res } = await c.post(GENERAL, { title: 'My title', body: 'Words I do not want to lose' })
    expect(res.status).toBe(303)
    expect((await counts()).posts).toBe(before.posts + 1)
  })

  it('a token from another browser (another cookie) is refused', async () => {
    const a = await poster()
    const b = await poster()
    const body = new URLSearchParams({ _csrf: a.csrf, title: 't', body: 'b' }).toString()
    const res = await b.request(GENERAL, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(403)
  })

  it('posting without an identity → 403 with a way to get one, and the text kept', async () => {
    const c = board.client()
    await c.get(GENERAL)
    const before = await counts()
    const { res, text } = await c.post(GENERAL, { title: 'Anonymous', body: 'no key yet' })
    expect(res.status).toBe(403)
    expect(text).toContain('Posting needs an identity')
    expect(text).toContain('href="/identity?next=%2Fc%2Flobby%2Fgeneral"')
    expect(text).toContain('>no key yet</textarea>')
    expect(await counts()).toEqual(before)
  })

  it('one order of checks for threads and replies: without an identity, a missing board or thread is 404 first, an existing one 403', async () => {
    const owner = await poster()
    const thread = await startThread(owner)
    const c = board.client()
    await c.get(GENERAL)
    const statuses: Record<string, number> = {}
    for (const path of ['/c/lobby/nope', '/c/lobby/general/t/999999', GENERAL, thread]) statuses[path] = (await c.post(path, { title: 't', body: 'b' })).res.status
    expect(statuses).toEqual({ '/c/lobby/nope': 404, '/c/lobby/general/t/999999': 404, [GENERAL]: 403, [thread]: 403 })
  })

  it('posting after the session expired (idle past the limit) → 403 saying so; the key is gone', async () => {
    const c = await poster()
    const thread = await startThread(c)
    now += 12 * 3600_000 + 1000
    const before = await counts()
    const { res, text } = await c.post(thread, { body: 'too late' })
    expect(res.status).toBe(403)
    expect(text).toContain('session has ended')
    expect(text).toContain('>too late</textarea>')
    expect(await counts()).toEqual(before)
  })

  it('an unknown cell, board or thread → 404 page, nothing stored', async () => {
    const c = await poster()
    const thread = await startThread(c)
    const before = await counts()
    for (const path of ['/c/nope/general', '/c/lobby/nope', '/c/lobby/general/t/999999']) {
      expect((await c.get(path)).res.status).toBe(404)
      const { res, text } = await c.post(path, { title: 't', body: 'b' })
      expect(res.status).toBe(404)
      expect(text).toContain('does not exist')
    }
    // A real thread under another board's address is not found either.
    await board.deps.db.insertInto('board').values({ cell_id: 1, slug: 'other', name: 'Other', retention_days: null, created_at: '2026-11-22T09:00:00.000Z' }).execute()
    expect((await c.get(thread.replace('/general/', '/other/'))).res.status).toBe(404)
    expect((await c.get(`${thread.replace('/general/', '/other/')}/p/1.asc`)).res.status).toBe(404)
    expect(await counts()).toEqual(before)
  })

  it('a body over 64 KiB → 413, with a Content-Length and when chunked; nothing stored', async () => {
    const c = await poster()
    const before = await counts()
    const big = `_csrf=${c.csrf}&title=t&body=${'a'.repeat(70 * 1024)}`
    let res = await c.request(GENERAL, { method: 'POST', body: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(413)
    expect(await res.text()).toContain('larger than 64 KiB')
    const chunks = [new TextEncoder().encode(big.slice(0, 40_000)), new TextEncoder().encode(big.slice(40_000))]
    const stream = new ReadableStream({ start(ctrl) { for (const ch of chunks) ctrl.enqueue(ch); ctrl.close() } })
    res = await c.request(GENERAL, { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' } } as RequestInit & { headers: Record<string, string> })
    expect(res.status).toBe(413)
    expect(await counts()).toEqual(before)
  })

  it('a body over 64 KiB from htmx → 413 into the form’s message slot, leaving the form and its text in place', async () => {
    const c = await poster()
    const thread = await startThread(c)
    const page = await c.get(thread)
    expect(page.text).toContain('<form id="reply"')
    expect(page.text).toMatch(/<form id="reply"[^>]*>[\s\S]*?<div class="form-problem"><\/div>/)
    // 12,000 Cyrillic letters are within the 20,000-character limit but 72 KB as a form sends them.
    const { res, text } = await c.post(thread, { body: 'я'.repeat(12_000) }, { 'HX-Request': 'true' })
    expect(res.status).toBe(413)
    expect(res.headers.get('hx-retarget')).toBe('find .form-problem')
    expect(res.headers.get('hx-reswap')).toBe('innerHTML')
    expect(res.headers.get('hx-push-url')).toBe('false')
    expect(text).toMatch(/^<p class="form-error" role="alert">That was larger than 64 KiB as sent/)
    expect(text).toContain('Your text is still in the form')
    expect(text).toContain('10,900 characters of Arabic, Hebrew, Cyrillic or Greek')
    expect(text).not.toContain('<html')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(await board.count('post')).toBe(1)
    // Without htmx, the whole page says the same.
    const plain = await c.post(thread, { body: 'я'.repeat(12_000) })
    expect(plain.res.status).toBe(413)
    expect(plain.text).toContain('<html')
    expect(plain.text).toContain('go back one page')
  })

  it('a preview over 64 KiB from htmx → 413 where the preview goes; a thread started on a board named "preview" → into its form', async () => {
    const c = await poster()
    const thread = await startThread(c)
    await c.get(thread)
    // The preview button sends the form (hx-post on the button): no retarget, so its own target,
    // the preview slot, gets the reason.
    const preview = await c.post(`${thread}/preview`, { body: 'я'.repeat(12_000) }, { 'HX-Request': 'true' })
    expect(preview.res.status).toBe(413)
    expect(preview.res.headers.get('hx-retarget')).toBeNull()
    expect(preview.text).toMatch(/^<p class="form-error" role="alert">That was larger than 64 KiB as sent/)
    // A board may be named "preview": starting a thread there posts to /c/lobby/preview, a form.
    await createBoard(board.deps, { cell: 'lobby', slug: 'preview', name: 'Preview', description: '', retentionDays: null })
    await c.get('/c/lobby/preview')
    const started = await c.post('/c/lobby/preview', { title: 'Long', body: 'я'.repeat(12_000) }, { 'HX-Request': 'true' })
    expect(started.res.status).toBe(413)
    expect(started.res.headers.get('hx-retarget')).toBe('find .form-problem')
  })

  it('a form that is not urlencoded → 415', async () => {
    const c = await poster()
    const res = await c.request(GENERAL, { method: 'POST', body: '{"title":"t"}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(415)
  })
})
