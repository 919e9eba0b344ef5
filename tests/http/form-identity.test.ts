import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pseudonymOf, showPseudonym } from '../../src/domain/pseudonym.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { formsOf, hiddenFields } from '../support/forms.ts'
import { heldKey, logInWith } from '../support/keys.ts'

// A form is shown for one identity. If the browser has since changed identity, sending the form
// must not publish (or vote, or burn) as the other key: it is refused, naming both.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const GENERAL = '/c/lobby/general'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const shown = (fpr: string) => showPseudonym(pseudonymOf(fpr))
const counts = async () => ({ threads: await board.count('thread'), posts: await board.count('post'), questions: await board.count('question'), ballots: await board.count('ballot') })

async function send(c: Client, action: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await c.request(action, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { ...FORM, ...headers } })
  return { res, text: await res.text() }
}

/** Take a disposable identity through the identity page's form; its fingerprint. */
async function take(c: Client): Promise<string> {
  const { text } = await c.get('/identity')
  expect((await send(c, '/identity/disposable', hiddenFields(text, '/identity/disposable'))).res.status).toBe(303)
  return /<code class="fpr">([0-9a-f]+)<\/code>/.exec((await c.get('/identity')).text)![1]!
}

async function burn(c: Client) {
  const { text } = await c.get('/identity')
  expect((await send(c, '/identity/burn', hiddenFields(text, '/identity/burn'))).res.status).toBe(303)
}

/** An identity A, a thread it started, and that thread's reply form as shown to A (its hidden fields). */
async function replyFormOpened(c: Client) {
  const a = await take(c)
  const page = await c.get(GENERAL)
  const thread = (await send(c, GENERAL, { ...hiddenFields(page.text, GENERAL), title: 'Mine', body: 'first' })).res.headers.get('location')!
  return { a, thread, opened: hiddenFields((await c.get(thread)).text, thread) }
}

const publicKeyOf = async (c: Client) => (await c.request('/identity/public-key.asc')).text()

/** A thread, and an open question on it, in a cell whose one voter is `voter`. */
async function threadAndQuestion(voter: Client) {
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await publicKeyOf(voter), tier: 'voter' })
  const page = await voter.get(GENERAL)
  const thread = (await send(voter, GENERAL, { ...hiddenFields(page.text, GENERAL), title: 'A thread', body: 'first' })).res.headers.get('location')!
  const raise = await voter.get('/c/lobby/questions/new?kind=remove_post')
  const q = await send(voter, '/c/lobby/questions', { ...hiddenFields(raise.text, '/c/lobby/questions'), board: 'general', thread: thread.split('/').pop()!, number: '1', principle: '1', argument: 'A question.' })
  expect(q.res.status).toBe(303)
  return { thread, question: q.res.headers.get('location')! }
}

describe('a form opened as one identity and sent after the browser changed identity', () => {
  it('a reply form opened as A, sent after this browser burned A and took B → 409 naming both, the text kept read-only, nothing stored (JS off and htmx)', async () => {
    for (const htmx of [false, true]) {
      const c = board.client()
      const { a, thread, opened } = await replyFormOpened(c)
      // In another tab: burn A, take B.
      await burn(c)
      const b = await take(c)
      expect(b).not.toBe(a)
      const before = await counts()
      const { res, text } = await send(c, thread, { ...opened, body: 'meant to be signed by A' }, htmx ? { 'HX-Request': 'true' } : {})
      expect(res.status).toBe(409)
      expect(text).toContain(`This form was opened as ${shown(a)}; this browser now holds ${shown(b)}`)
      expect(text).toMatch(/<textarea[^>]*readonly[^>]*>meant to be signed by A<\/textarea>/)
      expect(formsOf(text).filter((f) => f.method === 'post')).toEqual([])
      expect(text).toContain(`href="${thread}"`)
      expect(await counts()).toEqual(before)
    }
  })

  it('a reply form opened as A, sent after this browser burned A and took nothing → 409 saying A is gone, the text kept read-only under a human label, nothing stored', async () => {
    const c = board.client()
    const { a, thread, opened } = await replyFormOpened(c)
    await burn(c)
    const before = await counts()
    const { res, text } = await send(c, thread, { ...opened, body: 'meant to be signed by A' })
    expect(res.status).toBe(409)
    expect(text).toContain(`This form was opened as ${shown(a)}; this browser holds no identity now`)
    expect(text).not.toContain('Not allowed')
    expect(text).toMatch(/<label for="kept-body">Text<\/label><textarea[^>]*readonly[^>]*>meant to be signed by A<\/textarea>/)
    expect(formsOf(text).filter((f) => f.method === 'post')).toEqual([])
    expect(await counts()).toEqual(before)
  })

  it('a hand-made request with a current token but A’s key → 409 naming both; each form comes back for B with its text, and nothing changes', async () => {
    // Both of this browser's keys are voters when the question opens.
    const c = board.client()
    const a = await take(c)
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await publicKeyOf(c), tier: 'voter' })
    await burn(c)
    const b = await take(c)
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await publicKeyOf(c), tier: 'voter' })
    const voter = board.client()
    await take(voter)
    const { thread, question } = await threadAndQuestion(voter)

    const cases: { page: string; action: string; fields: Record<string, string>; kept: string | null }[] = [
      { page: GENERAL, action: GENERAL, fields: { title: 'As A', body: 'a thread meant for A' }, kept: 'a thread meant for A' },
      { page: thread, action: thread, fields: { body: 'a reply meant for A' }, kept: 'a reply meant for A' },
      { page: '/c/lobby/questions/new?kind=remove_post', action: '/c/lobby/questions', fields: { kind: 'remove_post', board: 'general', thread: thread.split('/').pop()!, number: '1', principle: '1', argument: 'an argument meant for A' }, kept: 'an argument meant for A' },
      { page: question, action: `${question}/ballot`, fields: { choice: 'no' }, kept: null },
      { page: question, action: `${question}/ballot`, fields: { choice: 'no', confirm: 'yes' }, kept: null },
    ]
    for (const k of cases) {
      const before = await counts()
      const { res, text } = await send(c, k.action, { ...hiddenFields((await c.get(k.page)).text, k.action), ...k.fields, _key: a })
      expect(res.status, k.action).toBe(409)
      expect(text, k.action).toContain(`This form was opened as ${shown(a)}; this browser now holds ${shown(b)}`)
      if (k.kept) expect(text, k.action).toContain(`>${k.kept}</`)
      // The form is back, now shown for B, so the person may choose to send it as B.
      expect(hiddenFields(text, k.action)._key, k.action).toBe(b)
      expect(await counts(), k.action).toEqual(before)
    }
    // Burn: a burn form shown for A does not burn B.
    const sid = c.cookies.get('cb_session')!
    const burnTry = await send(c, '/identity/burn', { ...hiddenFields((await c.get('/identity')).text, '/identity/burn'), _key: a })
    expect(burnTry.res.status).toBe(409)
    expect(burnTry.text).toContain(`This form was opened as ${shown(a)}; this browser now holds ${shown(b)}`)
    expect(await board.deps.sessions.get(sid)).not.toBeNull()
  })

  it('a hand-made request without the key field is judged by its token alone', async () => {
    const c = board.client()
    await take(c)
    await burn(c)
    const b = await take(c)
    const fields = hiddenFields((await c.get(GENERAL)).text, GENERAL)
    delete fields._key
    const { res } = await send(c, GENERAL, { ...fields, title: 'no key field', body: 'curl' })
    expect(res.status).toBe(303)
    expect((await c.get(res.headers.get('location')!)).text).toContain(`/k/${b}.asc`)
  })
})

describe('every form bound to an identity carries the key it was shown for', () => {
  it('start a thread, reply, raise a question, ballot (each kind of key), ballot confirm and burn', async () => {
    // Voters holding each kind of key, on the roster before the question opens.
    const held: [Client, string][] = []
    for (const via of ['gpg', 'browser'] as const) {
      const key = await heldKey()
      const c = board.client()
      await logInWith(c, key, via)
      await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: 'voter' })
      held.push([c, key.fingerprint])
    }
    const disposable = board.client()
    const d = await take(disposable)
    const { thread, question } = await threadAndQuestion(disposable)
    const pages: [Client, string, string, string][] = [
      [disposable, GENERAL, GENERAL, d],
      [disposable, thread, thread, d],
      [disposable, '/c/lobby/questions/new?kind=remove_post', '/c/lobby/questions', d],
      [disposable, question, `${question}/ballot`, d],
      [disposable, '/identity', '/identity/burn', d],
    ]
    for (const [c, fpr] of held) pages.push([c, GENERAL, GENERAL, fpr], [c, thread, thread, fpr], [c, question, `${question}/ballot`, fpr])
    for (const [c, page, action, fpr] of pages) expect(hiddenFields((await c.get(page)).text, action)._key, `${page} → ${action}`).toBe(fpr)
    // The disposable voter's confirm page.
    const review = await send(disposable, `${question}/ballot`, { ...hiddenFields((await disposable.get(question)).text, `${question}/ballot`), choice: 'yes' })
    expect(review.res.status).toBe(200)
    expect(hiddenFields(review.text, `${question}/ballot`)._key).toBe(d)
  })
})
