import { afterEach, describe, expect, it } from 'vitest'
import { canonicalPostText } from '../../src/domain/posts.ts'
import { setBoardFloodMode } from '../../src/services/flood.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { COSTS_ON, paidCost, takePaidIdentity } from '../support/costs.ts'
import { hiddenFields } from '../support/forms.ts'
import { clearsignWith, heldKey, logInWith, unescape } from '../support/keys.ts'

// Issue 14, "Preview before posting": a Preview button on the reply and new-thread forms renders
// the post as it would appear, with the same checks as posting, and stores, signs, counts and
// pays nothing; the form comes back with its text (htmx: the preview alone, into the form).

const BOARD = '/c/lobby/general'
let board: Awaited<ReturnType<typeof makeBoard>>
afterEach(() => board?.close())

const counts = async () => ({ threads: await board.count('thread'), posts: await board.count('post') })
const alertOf = (page: string) => unescape(/role="alert">([^<]+)/.exec(page)?.[1] ?? '')
const fieldErrorOf = (page: string, name: string) => unescape(new RegExp(`<p class="field-error" id="${name}-error">([^<]+)`).exec(page)?.[1] ?? '')
const previewOf = (page: string) => /<section class="preview"[\s\S]*?<\/section>/.exec(page)?.[0] ?? null
const HTMX = { 'HX-Request': 'true' }

async function poster(env: Record<string, string> = {}): Promise<Client> {
  board = await makeBoard(env)
  const c = board.client()
  await c.takeIdentity()
  await c.get(BOARD)
  return c
}

async function threadOf(c: Client, title = 'A thread', body = 'Opening.'): Promise<string> {
  const { res } = await c.post(BOARD, { title, body })
  expect(res.status).toBe(303)
  const path = res.headers.get('location')!
  await c.get(path)
  return path
}

/** POST a form by hand with the given hidden fields, as a browser sends the same rendered form twice. */
async function send(c: Client, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await c.request(path, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
  return { res, text: await res.text() }
}

describe('preview with JavaScript off', () => {
  it('the reply and new-thread forms carry a Preview button sent to the preview address', async () => {
    const c = await poster()
    const boardPage = (await c.get(BOARD)).text
    expect(boardPage).toContain(`<button formaction="${BOARD}/preview"`)
    expect(boardPage).toContain('<div id="new-thread-preview" class="preview-slot"')
    const thread = await threadOf(c)
    const threadPage = (await c.get(thread)).text
    expect(threadPage).toContain(`<button formaction="${thread}/preview#reply"`)
    expect(threadPage).toContain('<div id="reply-preview" class="preview-slot"')
    // Both say, in one line under the text, what Markdown a post understands.
    const hint = '<p class="hint">Markdown: *italic*, **bold**, &gt; quote, &gt;&gt;12 links post 12, a blank line for a new paragraph.</p>'
    expect(boardPage).toContain(hint)
    expect(threadPage).toContain(hint)
  })

  it('POST /c/:cell/:board/t/:thread/preview → 200, the reply rendered above the form, its text kept, nothing stored', async () => {
    const c = await poster()
    const thread = await threadOf(c)
    const before = await counts()
    const { res, text } = await c.post(`${thread}/preview`, { body: 'Hello *preview* <b>x</b>' })
    expect(res.status).toBe(200)
    const preview = previewOf(text)
    expect(preview).not.toBeNull()
    expect(preview).toContain('<p>Hello <em>preview</em> &lt;b&gt;x&lt;/b&gt;</p>')
    expect(preview).toContain('<i class="sig">disposable</i>')
    // The form again below it, with the text, ready to post.
    expect(text).toMatch(/<textarea id="reply-body" name="body"[^>]*>Hello \*preview\* &lt;b&gt;x&lt;\/b&gt;<\/textarea>/)
    expect(text.indexOf('<section class="preview"')).toBeLessThan(text.indexOf('<textarea id="reply-body"'))
    expect(await counts()).toEqual(before)
    // The form as it came back posts.
    const posted = await c.post(thread, { body: 'Hello *preview* <b>x</b>' })
    expect(posted.res.status).toBe(303)
    expect(await counts()).toEqual({ ...before, posts: before.posts + 1 })
  })

  it('POST /c/:cell/:board/preview → 200 with the title and text shown, no thread made', async () => {
    const c = await poster()
    const { res, text } = await c.post(`${BOARD}/preview`, { title: 'Previewed title', body: 'Body **bold**' })
    expect(res.status).toBe(200)
    expect(previewOf(text)).toContain('Title: <b>Previewed title</b>')
    expect(previewOf(text)).toContain('<strong>bold</strong>')
    expect(text).toContain('value="Previewed title"')
    expect(await counts()).toEqual({ threads: 0, posts: 0 })
  })

  it('a preview passes the same checks as posting: too long → 422 beside the field, text kept; a private key → 422, the box emptied', async () => {
    const c = await poster({ BODY_MAX: '50' })
    const thread = await threadOf(c)
    const before = await counts()
    const long = 'x'.repeat(60)
    const tooLong = await c.post(`${thread}/preview`, { body: long })
    expect(tooLong.res.status).toBe(422)
    expect(fieldErrorOf(tooLong.text, 'body')).not.toBe('')
    expect(previewOf(tooLong.text)).toBeNull()
    expect(tooLong.text).toContain(`>${long}</textarea>`)
    // Posting says the same.
    const posted = await c.post(thread, { body: long })
    expect(posted.res.status).toBe(422)
    expect(fieldErrorOf(posted.text, 'body')).toBe(fieldErrorOf(tooLong.text, 'body'))

    const secret = '-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----'
    const key = await c.post(`${BOARD}/preview`, { title: 'Oops', body: secret })
    expect(key.res.status).toBe(422)
    expect(fieldErrorOf(key.text, 'body')).toContain('private key')
    expect(key.text).not.toContain('BEGIN PGP PRIVATE KEY BLOCK')
    expect(key.text).toContain('value="Oops"')
    expect(await counts()).toEqual(before)
  })

  it('a preview needs an identity, like posting (403), and is refused for a thread that does not exist (404)', async () => {
    const c = await poster()
    await threadOf(c)
    expect((await c.post(`${BOARD}/t/999/preview`, { body: 'x' })).res.status).toBe(404)
    const stranger = board.client()
    await stranger.get(BOARD)
    const { res } = await stranger.post(`${BOARD}/preview`, { title: 't', body: 'b' })
    expect(res.status).toBe(403)
    expect(await counts()).toEqual({ threads: 1, posts: 1 })
  })
})

describe('preview with htmx', () => {
  it('the preview alone comes back, the same form then posts with the same token (the preview spends no submission)', async () => {
    const c = await poster()
    const thread = await threadOf(c)
    const fields = { ...hiddenFields((await c.get(thread)).text, thread), body: 'In place.' }
    const before = await counts()
    const p1 = await send(c, `${thread}/preview`, fields, HTMX)
    expect(p1.res.status).toBe(200)
    expect(p1.text).not.toContain('<html')
    expect(p1.text).not.toContain('<form')
    expect(previewOf(p1.text)).toContain('<p>In place.</p>')
    // A second preview of the same form is answered again (not a repeat of a submission).
    expect((await send(c, `${thread}/preview`, fields, HTMX)).res.status).toBe(200)
    expect(await counts()).toEqual(before)
    const posted = await send(c, thread, fields)
    expect(posted.res.status).toBe(303)
    expect(await counts()).toEqual({ ...before, posts: before.posts + 1 })
  })

  it('a refused preview sends the form again with the message beside the field (422, retargeted to the form)', async () => {
    const c = await poster({ BODY_MAX: '20' })
    const thread = await threadOf(c, 'T', 'short')
    const fields = { ...hiddenFields((await c.get(thread)).text, thread), body: 'y'.repeat(30) }
    const { res, text } = await send(c, `${thread}/preview`, fields, HTMX)
    expect(res.status).toBe(422)
    expect(res.headers.get('HX-Retarget')).toBe('#reply')
    expect(text).toMatch(/^<form id="reply"/)
    expect(fieldErrorOf(text, 'body')).not.toBe('')
    expect(text).toContain(`>${'y'.repeat(30)}</textarea>`)
    const boardFields = { ...hiddenFields((await c.get(BOARD)).text, BOARD), title: '', body: 'no title' }
    const b = await send(c, `${BOARD}/preview`, boardFields, HTMX)
    expect(b.res.status).toBe(422)
    expect(b.res.headers.get('HX-Retarget')).toBe('#new-thread')
    expect(b.text).toMatch(/^<section id="new-thread">/)
    expect(fieldErrorOf(b.text, 'title')).not.toBe('')
  })
})

describe('preview on a board in flood', () => {
  it('a preview asks no check and spends none: the check paid with the preview form still pays for the post', async () => {
    board = await makeBoard({ ...COSTS_ON })
    const c = board.client()
    await takePaidIdentity(c)
    await setBoardFloodMode(board.deps, { cell: 'lobby', board: 'general', setting: 'on' })
    const page = (await c.get(BOARD)).text
    const paid = await paidCost(page, BOARD)
    const fields = { ...hiddenFields(page, BOARD), title: 'Paid once', body: 'Once.', ...paid }
    // Unpaid: still previewed (the check is the post's to pay).
    const unpaid = await send(c, `${BOARD}/preview`, { ...fields, cost_pow: '', cost_solution: '' }, HTMX)
    expect(unpaid.res.status).toBe(200)
    const preview = await send(c, `${BOARD}/preview`, fields, HTMX)
    expect(preview.res.status).toBe(200)
    const posted = await send(c, BOARD, fields)
    expect(posted.res.status).toBe(303)
    expect(await counts()).toEqual({ threads: 1, posts: 1 })
  })
})

describe('preview for a GnuPG session', () => {
  async function gpgPoster() {
    board = await makeBoard()
    const key = await heldKey()
    const c = board.client()
    await logInWith(c, key, 'gpg')
    await c.get(BOARD)
    return { c, key }
  }

  it('shows the exact text to clearsign; that text, signed and pasted, previews as the signed post and then posts', async () => {
    const { c, key } = await gpgPoster()
    const { res, text } = await c.post(`${BOARD}/preview`, { title: 'Signed thread', body: 'Signed *body*.' })
    expect(res.status).toBe(200)
    const toSign = unescape(/<section class="preview"[\s\S]*?<pre class="to-sign">([\s\S]*?)<\/pre>/.exec(text)![1]!)
    expect(toSign).toBe(canonicalPostText({ site: 'cellboard.local', cell: 'lobby', board: 'general', thread: 'new', title: 'Signed thread', body: 'Signed *body*.' }))
    expect(previewOf(text)).toContain('session-attested')

    const signed = await clearsignWith(key.privateKey, toSign)
    const pasted = await c.post(`${BOARD}/preview`, { title: '', body: '', signed })
    expect(pasted.res.status).toBe(200)
    expect(previewOf(pasted.text)).toContain('the clearsigned box is what will be posted')
    expect(previewOf(pasted.text)).toContain('<em>body</em>')
    expect(await counts()).toEqual({ threads: 0, posts: 0 })
    const posted = await c.post(BOARD, { title: '', body: '', signed })
    expect(posted.res.status).toBe(303)
    expect(await board.column('select signing from post')).toEqual(['gpg-signed'])
  })

  it('both the text and the clearsigned box filled: preview and post are refused (422), saying which box to empty, nothing stored', async () => {
    const { c, key } = await gpgPoster()
    const signed = await clearsignWith(key.privateKey, canonicalPostText({ site: 'cellboard.local', cell: 'lobby', board: 'general', thread: 'new', title: 'Signed', body: 'The signed one.' }))
    for (const path of [`${BOARD}/preview`, BOARD]) {
      const { res, text } = await c.post(path, { title: 'Plain', body: 'The plain one.', signed })
      expect(res.status, path).toBe(422)
      expect(alertOf(text)).toContain('You filled both the text box and the clearsigned box')
      expect(alertOf(text)).toContain('empty the clearsigned box')
      expect(fieldErrorOf(text, 'signed')).toContain('Empty this box')
      expect(fieldErrorOf(text, 'body')).toContain('Empty the title and text')
      expect(previewOf(text)).toBeNull()
      // Both texts kept, for the person to choose.
      expect(text).toContain('>The plain one.</textarea>')
      expect(text).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    }
    expect(await counts()).toEqual({ threads: 0, posts: 0 })
    // A reply has no title: it is not told to empty one (a new user's walkthrough).
    const thread = (await c.post(BOARD, { title: 'Plain', body: 'The plain one.' })).res.headers.get('location')!
    await c.get(thread)
    const reply = await clearsignWith(key.privateKey, canonicalPostText({ site: 'cellboard.local', cell: 'lobby', board: 'general', thread: Number(thread.split('/').pop()), title: null, body: 'A signed reply.' }))
    for (const path of [`${thread}/preview`, thread]) {
      const { res, text } = await c.post(path, { body: 'A plain reply.', signed: reply })
      expect(res.status, path).toBe(422)
      expect(alertOf(text)).toContain('To post the clearsigned text, empty the text box;')
      expect(alertOf(text)).not.toContain('title')
      expect(fieldErrorOf(text, 'body')).toBe('Empty the text to post the clearsigned text instead.')
    }
    expect(await counts()).toEqual({ threads: 1, posts: 1 })
  })
})

describe('previews are limited per key (attack: one identity kept the server busy rendering and verifying)', () => {
  it('past PREVIEW_LIMIT_PER_10_MINUTES previews a key gets a 429 saying when, its text kept; posting is not spent by them', async () => {
    const c = await poster({ PREVIEW_LIMIT_PER_10_MINUTES: '3' })
    const thread = await threadOf(c)
    for (let i = 0; i < 3; i++) expect((await c.post(`${thread}/preview`, { body: `Draft ${i}` })).res.status).toBe(200)
    const refused = await c.post(`${thread}/preview`, { body: 'Draft **four**' })
    expect(refused.res.status).toBe(429)
    expect(refused.text).toMatch(/A key may preview a post 3 times every 10 minutes/)
    expect(refused.text).toContain('Draft **four**')
    const before = await counts()
    // The post itself still goes: previews count on their own.
    expect((await c.post(thread, { body: 'Draft **four**' })).res.status).toBe(303)
    expect(await counts()).toEqual({ ...before, posts: before.posts + 1 })
  })
})
