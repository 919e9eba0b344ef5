import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ballotText } from '../../src/domain/questions.ts'
import { addRosterKey, createBoard } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { hiddenFields } from '../support/forms.ts'
import { clearsignWith, heldKey, logInWith } from '../support/keys.ts'
import { referenceOn, withCellKey } from '../support/letters.ts'

// A double click on a slow circuit sends the same form twice, the second before the first is
// answered. The second must get the first one's answer, and nothing may be stored twice.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const GENERAL = '/c/lobby/general'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const counts = async () => ({ threads: await board.count('thread'), posts: await board.count('post'), questions: await board.count('question'), ballots: await board.count('ballot') })

/** The exact bytes one form sends, sent twice at once (or one after the other). */
async function twice(c: Client, action: string, fields: Record<string, string>, opts: { headers?: Record<string, string>; atOnce?: boolean } = {}) {
  const body = new URLSearchParams(fields).toString()
  const send = async () => {
    const res = await c.request(action, { method: 'POST', body, headers: { ...FORM, ...opts.headers } })
    return { status: res.status, location: res.headers.get('location'), text: await res.text() }
  }
  if (opts.atOnce === false) return [await send(), await send()]
  return Promise.all([send(), send()])
}

/** The form for `action` as the page shows it, filled in. */
async function filled(c: Client, page: string, action: string, fields: Record<string, string>) {
  return { ...hiddenFields((await c.get(page)).text, action), ...fields }
}

async function poster() {
  const c = board.client()
  await c.takeIdentity()
  return c
}

async function thread(c: Client) {
  const res = await c.request(GENERAL, { method: 'POST', body: new URLSearchParams(await filled(c, GENERAL, GENERAL, { title: 'A thread', body: 'first' })).toString(), headers: FORM })
  expect(res.status).toBe(303)
  return res.headers.get('location')!
}

describe('the same form sent twice publishes once', () => {
  it('two identical thread starts at once → one thread; both answers are the same 303', async () => {
    const c = await poster()
    const [a, b] = await twice(c, GENERAL, await filled(c, GENERAL, GENERAL, { title: 'Double click', body: 'sent twice' }))
    expect([a.status, b.status]).toEqual([303, 303])
    expect(b.location).toBe(a.location)
    expect(await counts()).toMatchObject({ threads: 1, posts: 1 })
  })

  it('two identical replies at once → one post; the same 303, at once and one after the other', async () => {
    const c = await poster()
    const t = await thread(c)
    for (const atOnce of [true, false]) {
      const [a, b] = await twice(c, t, await filled(c, t, t, { body: `a reply, ${atOnce ? 'at once' : 'in turn'}` }), { atOnce })
      expect([a.status, b.status]).toEqual([303, 303])
      expect(b.location).toBe(a.location)
    }
    expect(await counts()).toMatchObject({ threads: 1, posts: 3 })
  })

  it('a letter sent twice at once, JavaScript off → one letter; both answers the same page with the same reference, whatever the browser takes', async () => {
    await withCellKey(board)
    for (const accept of [{}, { 'accept-encoding': 'gzip, deflate' }] as Record<string, string>[]) {
      const c = board.client()
      const body = new URLSearchParams(await filled(c, '/c/lobby/letters/new', '/c/lobby/letters', { text: `A letter, sent twice ${JSON.stringify(accept)}` })).toString()
      const send = async () => {
        const res = await c.request('/c/lobby/letters', { method: 'POST', body, headers: { ...FORM, ...accept } })
        return { status: res.status, encoding: res.headers.get('content-encoding'), bytes: Buffer.from(await res.arrayBuffer()) }
      }
      const [a, b] = await Promise.all([send(), send()])
      expect([a.status, b.status]).toEqual([200, 200])
      // The sent page goes out as it is (sendPage): the bytes kept are compared as bytes, whatever
      // they hold (idempotency.test.ts gives back a deflated one).
      expect(b.encoding).toBe(a.encoding)
      expect(b.bytes.equals(a.bytes)).toBe(true)
      expect(referenceOn(a.bytes.toString())).toMatch(/^[0-9A-Z-]+$/)
    }
    expect(await board.count('letter')).toBe(2)
  })

  it('two identical htmx replies at once → one post, and both get the same fragment', async () => {
    const c = await poster()
    const t = await thread(c)
    const [a, b] = await twice(c, t, await filled(c, t, t, { body: 'an inline reply, twice' }), { headers: { 'HX-Request': 'true' } })
    expect([a.status, b.status]).toEqual([200, 200])
    expect(a.text).toMatch(/^<article id="p2" class="post" data-key="[0-9a-f]+">/)
    expect(b.text).toBe(a.text)
    expect(await counts()).toMatchObject({ posts: 2 })
  })

  it('raising the same question twice at once → one question, the same 303', async () => {
    const c = await poster()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: 'voter' })
    const [a, b] = await twice(c, '/c/lobby/questions', await filled(c, '/c/lobby/questions/new?kind=amend_line', '/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Be brief.', argument: 'Twice clicked.' }))
    expect([a.status, b.status]).toEqual([303, 303])
    expect(b.location).toBe(a.location)
    expect(await counts()).toMatchObject({ questions: 1 })
  })

  it('casting a ballot twice at once (a pasted GnuPG ballot, and a disposable voter’s confirm) → one ballot each, the same 303', async () => {
    const key = await heldKey()
    const gpg = board.client()
    await logInWith(gpg, key, 'gpg')
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: 'voter' })
    const disposable = await poster()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await disposable.request('/identity/public-key.asc')).text(), tier: 'voter' })
    // Three voters, so two ballots do not close the question.
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: (await heldKey()).publicKey, tier: 'voter' })
    const raised = await twice(disposable, '/c/lobby/questions', await filled(disposable, '/c/lobby/questions/new?kind=amend_line', '/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Vote once.', argument: 'Test.' }))
    const q = raised[0]!.location!
    const id = Number(q.split('/').pop())

    const signed = await clearsignWith(key.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: id, line: 1, choice: 'yes' }))
    const [a, b] = await twice(gpg, `${q}/ballot`, await filled(gpg, q, `${q}/ballot`, { signed }))
    expect([a.status, b.status]).toEqual([303, 303])
    expect(b.location).toBe(a.location)
    expect(await board.count('ballot')).toBe(1)

    const review = await disposable.request(`${q}/ballot`, { method: 'POST', body: new URLSearchParams(await filled(disposable, q, `${q}/ballot`, { choice: 'no' })).toString(), headers: FORM })
    expect(review.status).toBe(200)
    const confirm = hiddenFields(await review.text(), `${q}/ballot`)
    const [c1, c2] = await twice(disposable, `${q}/ballot`, confirm)
    expect([c1.status, c2.status]).toEqual([303, 303])
    expect(c2.location).toBe(c1.location)
    expect(await board.count('ballot')).toBe(2)
  })

  it('the ballot that decides a question, sent twice at once → both answers are the same 303 to the decision', async () => {
    const key = await heldKey()
    const gpg = board.client()
    await logInWith(gpg, key, 'gpg')
    // The one voter: their ballot settles the question and closes it.
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: 'voter' })
    const raised = await twice(gpg, '/c/lobby/questions', await filled(gpg, '/c/lobby/questions/new?kind=amend_line', '/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Decide once.', argument: 'Test.' }))
    const q = raised[0]!.location!
    const signed = await clearsignWith(key.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: Number(q.split('/').pop()), line: 1, choice: 'yes' }))
    const [a, b] = await twice(gpg, `${q}/ballot`, await filled(gpg, q, `${q}/ballot`, { signed }))
    expect([a.status, b.status]).toEqual([303, 303])
    expect(b.location).toBe(a.location)
    expect(await board.count('ballot')).toBe(1)
    expect((await gpg.get(q)).text).toContain('Decision: Adopted')
  })

  it('the same page sent again with edited text is a new submission', async () => {
    const c = await poster()
    const t = await thread(c)
    const fields = await filled(c, t, t, { body: 'first version' })
    const [a] = await twice(c, t, fields, { atOnce: false })
    const [b] = await twice(c, t, { ...fields, body: 'second version' }, { atOnce: false })
    expect(a.location).not.toBe(b.location)
    expect(await counts()).toMatchObject({ posts: 3 })
  })

  it('a first submission that was refused (4xx) does not block the same form sent again once the cause is gone', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
    const c = await poster()
    // Not on the roster yet: the members' board refuses the thread.
    const fields: Record<string, string> = { ...hiddenFields((await c.get('/identity')).text, '/identity/burn'), title: 'Inside', body: 'members only' }
    delete fields._key
    const [refused] = await twice(c, '/c/lobby/inner', fields, { atOnce: false })
    expect(refused.status).toBe(403)
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: 'member' })
    const [accepted] = await twice(c, '/c/lobby/inner', fields, { atOnce: false })
    expect(accepted.status).toBe(303)
    expect(await counts()).toMatchObject({ threads: 1 })
  })
})

// Without JavaScript, a writer on a slow circuit who goes back from the thread (the page is fetched
// again: a new form token) finds their text kept in the field by the browser, and sends it again.
describe('the same text sent again from the page fetched again, JavaScript off', () => {
  it('a reply and a thread start: posted once, the second answer the first one’s 303', async () => {
    const c = await poster()
    const t = await thread(c)
    const first = await filled(c, t, t, { body: 'sent, then back, then sent again' })
    const [a] = await twice(c, t, first, { atOnce: false })
    const again = await filled(c, t, t, { body: 'sent, then back, then sent again' })
    expect(again._csrf).not.toBe(first._csrf)
    const [b] = await twice(c, t, again, { atOnce: false })
    expect([a.status, b.status]).toEqual([303, 303])
    expect(b.location).toBe(a.location)
    expect(await counts()).toMatchObject({ threads: 1, posts: 2 })
    const start = { title: 'Started twice', body: 'a new thread, sent again' }
    const [x] = await twice(c, GENERAL, await filled(c, GENERAL, GENERAL, start), { atOnce: false })
    const [y] = await twice(c, GENERAL, await filled(c, GENERAL, GENERAL, start), { atOnce: false })
    expect(y.location).toBe(x.location)
    expect(await counts()).toMatchObject({ threads: 2, posts: 3 })
  })

  it('another writer’s same text is theirs to post; with htmx (which never left the page) the same text sent again is posted again', async () => {
    const c = await poster()
    const t = await thread(c)
    const other = await poster()
    const [a] = await twice(c, t, await filled(c, t, t, { body: '+1' }), { atOnce: false })
    const [b] = await twice(other, t, await filled(other, t, t, { body: '+1' }), { atOnce: false })
    expect(b.location).not.toBe(a.location)
    expect(await counts()).toMatchObject({ posts: 3 })
    const htmx = { headers: { 'HX-Request': 'true' } }
    const [h1] = await twice(c, t, await filled(c, t, t, { body: 'said twice on purpose' }), { ...htmx, atOnce: false })
    const [h2] = await twice(c, t, await filled(c, t, t, { body: 'said twice on purpose' }), { ...htmx, atOnce: false })
    expect([h1.status, h2.status]).toEqual([200, 200])
    expect(await counts()).toMatchObject({ posts: 5 })
  })
})
