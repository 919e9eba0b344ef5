import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openEphemeral } from '../../src/ephemeral/index.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { makeBoard, TEST_DIALECT, TEST_REDIS_URL, dropRedisPrefix, type Client } from '../support/app.ts'
import { formsOf, hiddenFields, setCookies, tokensOf } from '../support/forms.ts'
import { clearsignWith, heldKey, unescape } from '../support/keys.ts'

// The form token: what a browser holds for it must not link two identities, must be the server's
// own (not a value the browser chose), and must not be the same string on every page (BREACH).
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const GENERAL = '/c/lobby/general'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const posts = () => board.count('post')

/** Open `page` and send its form for `action`, as a browser with JavaScript off would. */
async function submit(c: Client, page: string, action: string, fields: Record<string, string> = {}) {
  const { text } = await c.get(page)
  const res = await c.request(action, { method: 'POST', body: new URLSearchParams({ ...hiddenFields(text, action), ...fields }).toString(), headers: FORM })
  return { res, text: await res.text() }
}

async function challengeOf(c: Client) {
  return unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec((await c.get('/identity')).text)![1]!)
}

describe('the form-token cookie links nothing across identities', () => {
  it('burning, and taking any identity (disposable, GnuPG, browser key), sets a new form-token cookie; the old form token is refused', async () => {
    const c = board.client()
    await c.get('/identity')
    const values = [c.cookies.get('cb_csrf')!]
    const rotated = (res: Response) => {
      const v = setCookies(res).get('cb_csrf')?.value
      expect(v, 'a new form-token cookie').toBeTruthy()
      values.push(v!)
    }

    // A disposable identity; a page seen as it, whose token must not survive the next change.
    const taken = await submit(c, '/identity', '/identity/disposable')
    expect(taken.res.status).toBe(303)
    rotated(taken.res)
    const asFirst = hiddenFields((await c.get(GENERAL)).text, GENERAL)
    delete asFirst._key // judged by its token alone (a form's key field has its own test)

    const burned = await submit(c, '/identity', '/identity/burn')
    expect(burned.res.status).toBe(303)
    rotated(burned.res)

    const gpgKey = await heldKey()
    const gpg = await submit(c, '/identity', '/identity/login', { via: 'gpg', public_key: gpgKey.publicKey, signed: await clearsignWith(gpgKey.privateKey, await challengeOf(c)) })
    expect(gpg.res.status).toBe(303)
    rotated(gpg.res)
    expect((await submit(c, '/identity', '/identity/burn')).res.status).toBe(303)

    const browserKey = await heldKey()
    const browser = await submit(c, '/identity', '/identity/login', { via: 'browser', public_key: browserKey.publicKey, signed: await clearsignWith(browserKey.privateKey, await challengeOf(c)) })
    expect(browser.res.status).toBe(303)
    rotated(browser.res)

    expect(new Set(values).size).toBe(values.length)
    // The form token of the page seen as the first identity is refused for the browser key's session.
    const before = await posts()
    const old = await c.request(GENERAL, { method: 'POST', body: new URLSearchParams({ ...asFirst, title: 'old page', body: 'sent with the first identity’s token' }).toString(), headers: FORM })
    expect(old.status).toBe(403)
    expect(await posts()).toBe(before)
  })

  it('a form-token cookie the browser chose is not taken as it is: it is replaced, and a token made for it is refused', async () => {
    for (const chosen of ['A'.repeat(24), `${'A'.repeat(24)}.${'B'.repeat(22)}`]) {
      // The attacker picks a cookie value and asks for a page with it, which hands him its token.
      const attacker = board.client()
      attacker.cookies.set('cb_csrf', chosen)
      const page = await attacker.request('/identity')
      const replaced = setCookies(page).get('cb_csrf')?.value
      expect(replaced, 'the chosen value is replaced').toBeTruthy()
      expect(replaced).not.toBe(chosen)
      const token = hiddenFields(await page.text(), '/identity/disposable')._csrf!

      // A victim's browser made to hold that value sends a forged form with the attacker's token.
      const victim = board.client()
      await victim.takeIdentity()
      victim.cookies.set('cb_csrf', chosen)
      const before = await posts()
      const res = await victim.request(GENERAL, { method: 'POST', body: new URLSearchParams({ _csrf: token, title: 'planted', body: 'forged with a chosen cookie' }).toString(), headers: FORM })
      expect(res.status).toBe(403)
      expect(await posts()).toBe(before)
    }
  })

  it('with COOKIE_SECURE=true both cookies are __Host- cookies: Secure, Path=/, no Domain; and they work', async () => {
    await board.close()
    board = await makeBoard({ COOKIE_SECURE: 'true' })
    const c = board.client()
    const first = await c.request('/identity')
    const csrf = setCookies(first).get('__Host-cb_csrf')
    expect(csrf, 'a __Host- form-token cookie').toBeTruthy()
    expect(setCookies(first).has('cb_csrf')).toBe(false)
    const taken = await c.request('/identity/disposable', { method: 'POST', body: new URLSearchParams(hiddenFields(await first.text(), '/identity/disposable')).toString(), headers: FORM })
    expect(taken.status).toBe(303)
    const cookies = setCookies(taken)
    expect([...cookies.keys()].sort()).toEqual(['__Host-cb_csrf', '__Host-cb_session'])
    for (const { attrs } of cookies.values()) {
      expect(attrs).toMatch(/(^|; )Secure(;|$)/)
      expect(attrs).toMatch(/(^|; )Path=\/(;|$)/)
      expect(attrs).toMatch(/(^|; )HttpOnly(;|$)/)
      expect(attrs).toMatch(/(^|; )SameSite=Strict(;|$)/)
      expect(attrs).not.toMatch(/Domain=/i)
    }
    // The identity and the form token are read back under those names.
    const { text } = await c.get('/identity')
    expect(text).toContain('You post as')
    const res = await c.request(GENERAL, { method: 'POST', body: new URLSearchParams({ ...hiddenFields((await c.get(GENERAL)).text, GENERAL), title: 't', body: 'b' }).toString(), headers: FORM })
    expect(res.status).toBe(303)
  })

  it('every rendered form gets its own token string (a random mask), and each is accepted; a tampered one is not', async () => {
    const c = board.client()
    await c.takeIdentity()
    const once = tokensOf((await c.get(GENERAL)).text)
    // Built again (the same page asked again within seconds is the same page sent again: own-page.test.ts).
    const again = tokensOf((await c.get(`${GENERAL}?page=1`)).text)
    expect(once).toHaveLength(1)
    expect(again[0]).not.toBe(once[0])
    const onIdentityPage = tokensOf((await c.get('/identity')).text)
    expect(onIdentityPage.length).toBeGreaterThan(1)
    expect(new Set(onIdentityPage).size).toBe(onIdentityPage.length)

    const send = (token: string, title: string) => c.request(GENERAL, { method: 'POST', body: new URLSearchParams({ _csrf: token, title, body: `posted with ${title}` }).toString(), headers: FORM })
    expect((await send(once[0]!, 'first')).status).toBe(303)
    expect((await send(again[0]!, 'second')).status).toBe(303)
    expect((await send(onIdentityPage[0]!, 'third')).status).toBe(303)
    const t = once[0]!
    for (const tampered of [`${t[0] === 'A' ? 'B' : 'A'}${t.slice(1)}`, `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`, t.slice(0, 43), `${t}AAAA`]) {
      expect((await send(tampered, 'tampered')).status, tampered).toBe(403)
    }
  })

  it.runIf(TEST_DIALECT === 'postgres')('nodes sharing Redis agree on cookies and tokens', async () => {
    const keyPrefix = `cbtest:${randomBytes(6).toString('hex')}:`
    const open = () => openEphemeral({ redisUrl: TEST_REDIS_URL, allowPersistence: false, sessionIdleMs: 60_000, keyPrefix })
    const [a, b] = [await open(), await open()]
    try {
      const cookie = a.csrf.newCookie()
      expect(b.csrf.readCookie(cookie)).toBe(cookie)
      expect(b.csrf.check(cookie, a.csrf.tokenFor(cookie))).toBe(true)
    } finally {
      await a.close()
      await b.close()
      await dropRedisPrefix(keyPrefix)
    }
  })
})

describe('a request refused for its form token never comes back as a form', () => {
  /** A person with an identity, on the roster as a voter, with a thread and an open question. */
  async function victim() {
    const c = board.client()
    await c.takeIdentity()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: 'voter' })
    const thread = (await submit(c, GENERAL, GENERAL, { title: 'A thread', body: 'first' })).res.headers.get('location')!
    const raised = await submit(c, '/c/lobby/questions/new?kind=remove_post', '/c/lobby/questions', { kind: 'remove_post', board: 'general', thread: thread.split('/').pop()!, number: '1', principle: '1', argument: 'An honest question.' })
    expect(raised.res.status).toBe(303)
    return { c, thread, question: raised.res.headers.get('location')! }
  }

  /** Each form, the text a forger would put in it, and the page that has the form empty. */
  const cases = (v: { thread: string; question: string }): { action: string; fields: Record<string, string>; page: string }[] => [
    { action: GENERAL, fields: { title: 'Forged title', body: 'FORGED thread text' }, page: GENERAL },
    { action: v.thread, fields: { body: 'FORGED reply text' }, page: v.thread },
    { action: '/c/lobby/questions', fields: { kind: 'amend_line', change: 'add', text: 'FORGED principle', argument: 'FORGED argument' }, page: '/c/lobby/questions/new?kind=amend_line' },
    { action: `${v.question}/ballot`, fields: { choice: 'no', confirm: 'yes', signed: 'FORGED ballot' }, page: v.question },
    { action: '/identity/burn', fields: {}, page: '/identity' },
  ]

  const textareas = (html: string) => [...html.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)].map((m) => ({ attrs: m[1]!, name: /\sname="([^"]*)"/.exec(m[1]!)?.[1], value: unescape(m[2]!) }))

  it('a cross-site POST → 403 with the text read-only, no form, no token, and a link to the empty form; one click publishes nothing', async () => {
    const v = await victim()
    for (const htmx of [false, true]) {
      for (const k of cases(v)) {
        const before = { posts: await posts(), questions: await board.count('question'), ballots: await board.count('ballot'), session: await board.deps.sessions.get(v.c.cookies.get('cb_session')!) }
        // A page on another site posts the form. SameSite=Strict keeps the browser's cookies off
        // it, so the refusal page is made for a cookieless request (and sets a new cookie).
        const res = await board.app.request(k.action, { method: 'POST', body: new URLSearchParams({ _csrf: 'forged', ...k.fields }).toString(), headers: { ...FORM, ...(htmx ? { 'HX-Request': 'true' } : {}) } })
        const text = await res.text()
        expect(res.status, k.action).toBe(403)
        expect(text).toContain('did not come from this site')
        expect(text, k.action).not.toMatch(/<form[^>]*method="post"/)
        expect(text, k.action).not.toContain('name="_csrf"')
        expect(text, k.action).toContain(`href="${k.page.replace(/&/g, '&amp;')}"`)
        const written = Object.entries(k.fields).filter(([name]) => ['title', 'body', 'signed', 'text', 'argument'].includes(name))
        for (const [name, value] of written) {
          const shown = textareas(text).find((t) => t.value === value)
          expect(shown, `${k.action}: ${name} shown`).toBeTruthy()
          expect(shown!.attrs, `${k.action}: ${name} read-only`).toMatch(/\sreadonly(\s|$|=)/)
          expect(shown!.name, `${k.action}: ${name} has no form name`).toBeUndefined()
        }

        // The victim clicks whatever the page offers to submit, with the cookie it set.
        for (const [name, { value }] of setCookies(res)) v.c.cookies.set(name, value)
        for (const f of formsOf(text).filter((x) => x.method === 'post')) {
          const kept = Object.fromEntries(textareas(text).filter((t) => t.name).map((t) => [t.name!, t.value]))
          await v.c.request(f.action, { method: 'POST', body: new URLSearchParams({ ...f.hidden, ...kept }).toString(), headers: FORM })
        }
        expect(await posts()).toBe(before.posts)
        expect(await board.count('question')).toBe(before.questions)
        expect(await board.count('ballot')).toBe(before.ballots)
        expect(await board.deps.sessions.get(v.c.cookies.get('cb_session')!), 'the session was not burned').not.toBeNull()
      }
    }
  })

  it('the same with the browser’s cookies sent along (a browser that ignores SameSite): read-only, no form', async () => {
    const v = await victim()
    const before = await posts()
    const res = await v.c.request(v.thread, { method: 'POST', body: new URLSearchParams({ _csrf: 'forged', body: 'FORGED with cookies' }).toString(), headers: FORM })
    const text = await res.text()
    expect(res.status).toBe(403)
    expect(text).not.toMatch(/<form[^>]*method="post"/)
    expect(text).toMatch(/<textarea[^>]*readonly[^>]*>FORGED with cookies<\/textarea>/)
    expect(await posts()).toBe(before)
  })

  it('a same-site form that passed the token check and failed validation still comes back as a form, text and errors in it', async () => {
    const v = await victim()
    const { res, text } = await submit(v.c, v.thread, v.thread, { body: 'x'.repeat(20_001) })
    expect(res.status).toBe(422)
    expect(text).toMatch(/<form id="reply" method="post"/)
    expect(text).toContain('name="_csrf"')
    expect(text).toContain('id="body-error"')
    expect(text).toContain(`>${'x'.repeat(20_001)}</textarea>`)
  })
})
