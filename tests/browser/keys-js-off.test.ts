import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserSuite, downloadText, gpgVerify } from '../support/browser.ts'
import { Gpg } from '../support/gpg.ts'

// A member's own GnuPG key, with JavaScript off: they clearsign the login challenge and their posts
// with real gpg and paste them into plain forms.
describe('an own GnuPG key with JavaScript off', () => {
  const suite = browserSuite()
  let gpg: Gpg
  let fpr: string
  const htmxRequests: string[] = []

  beforeAll(async () => {
    gpg = new Gpg()
    fpr = gpg.generate('cellboard keys test')
  })

  afterAll(() => gpg?.close())

  async function visitor(): Promise<Page> {
    const page = await suite.page(false)
    page.on('request', (r) => {
      if (r.headers()['hx-request'] !== undefined) htmxRequests.push(`${r.method()} ${r.url()}`)
    })
    return page
  }

  const h1 = (page: Page) => page.locator('main h1').textContent()
  const nav = (page: Page) => page.locator('header.top nav').textContent()

  /** The challenge on /identity, exactly as the page shows it (as a person would copy it to a file). */
  async function challengeOf(page: Page): Promise<string> {
    const text = (await page.locator('pre#challenge').textContent())!
    expect(text).toMatch(/^cellboard challenge v1\nsite: \S+\npurpose: login\nnonce: [A-Za-z0-9_-]+$/)
    return text
  }

  it('logs in with a clearsigned challenge, posts a clearsigned thread that verifies with gpg, and replies session-attested', async () => {
    const page = await visitor()
    const publicKey = gpg.exportPublic(fpr)
    expect(publicKey).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')

    // Log in: sign the challenge (saved to a file, so with a final newline) and paste it with the key.
    expect((await page.goto('/identity'))!.status()).toBe(200)
    expect(await h1(page)).toBe('Take an identity')
    // Without JavaScript the browser-key panel stays hidden.
    expect(await page.locator('#browser-key').isVisible()).toBe(false)
    const challenge = await challengeOf(page)
    const signedChallenge = gpg.clearsign(fpr, `${challenge}\n`)
    await page.getByLabel('Your public key').fill(publicKey)
    await page.getByLabel('The challenge, clearsigned').fill(signedChallenge)
    const [login] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/login'),
      page.getByRole('button', { name: 'Log in with this key' }).click(),
    ])
    expect(login.status()).toBe(303)
    await page.waitForURL((u) => u.pathname === '/identity')
    expect(await h1(page)).toBe('Your identity')
    expect((await page.locator('main code.fpr').textContent())!.toLowerCase()).toBe(fpr.toLowerCase())
    expect(await page.locator('main').textContent()).toContain('your own GnuPG key')
    expect(await nav(page)).not.toContain('Take an identity')
    // A gpg session holds no private key on the server: nothing to download.
    expect(await page.getByRole('button', { name: /private key/ }).count()).toBe(0)

    // Start a thread with a clearsigned post.
    await page.goto('/c/lobby/general')
    const details = page.locator('#new-thread details.gpg-sign')
    await details.locator('summary', { hasText: 'Or paste a post you clearsigned with GnuPG' }).click()
    const template = (await details.locator('pre.to-sign').textContent())!
    expect(template).toContain('thread: new\ntitle: Your title\n\nYour text…')
    const title = `A clearsigned thread ${Date.now()}`
    const body = `Signed with my own key, number ${Math.random().toString(36).slice(2)}.`
    const toSign = template.replace('Your title', title).replace('Your text…', body)
    expect(toSign).not.toBe(template)
    const signedPost = gpg.clearsign(fpr, `${toSign}\n`)
    await details.getByLabel('Clearsigned post').fill(signedPost)
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/general'),
      page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(started.status(), await started.text().catch(() => '')).toBe(303)
    await page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
    expect(await h1(page)).toBe(title)
    const threadPath = new URL(page.url()).pathname
    const first = page.locator('#posts article#p1')
    expect(await first.locator('.sig').textContent()).toBe('gpg-signed')
    expect(await first.textContent()).toContain(body)

    // Its signed text and key are downloads, and verify with real GnuPG (a keyring holding only the published key).
    const signedLink = first.getByRole('link', { name: 'signed text' })
    const keyLink = first.getByRole('link', { name: 'key', exact: true })
    expect(await signedLink.getAttribute('href')).toBe(`${threadPath}/p/1.asc`)
    expect((await keyLink.getAttribute('href'))!.toLowerCase()).toBe(`/k/${fpr.toLowerCase()}.asc`)
    const signed = await downloadText(page, () => signedLink.click())
    expect(signed.download.suggestedFilename()).toMatch(/^lobby-general-t\d+-p1\.asc$/)
    const key = await downloadText(page, () => keyLink.click())
    expect(key.download.suggestedFilename().toLowerCase()).toBe(`${fpr.toLowerCase()}.asc`)
    for (const href of [`${threadPath}/p/1.asc`, (await keyLink.getAttribute('href'))!]) {
      const res = await page.request.get(href)
      expect(res.status()).toBe(200)
      expect(res.headers()['content-disposition']).toMatch(/^attachment;/)
    }
    expect(signed.text).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    expect(signed.text).toContain(`title: ${title}\n\n${body}`)
    expect(key.text).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    const verified = gpgVerify(key.text, signed.text)
    expect(verified.stderr).toContain('Good signature')
    expect(verified.stderr).toContain(fpr)
    expect(verified.status, verified.stderr).toBe(0)
    const forged = gpgVerify(key.text, signed.text.replace(body, body.replace('Signed', 'Forged')))
    expect(forged.status).not.toBe(0)
    expect(forged.stderr).toContain('BAD signature')

    // A plain reply, not signed: session-attested, and no signed text to download.
    const replyText = `A plain reply, not signed, number ${Math.random().toString(36).slice(2)}.`
    await page.fill('#reply-body', replyText)
    const [replied] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === threadPath),
      page.getByRole('button', { name: 'Post reply' }).click(),
    ])
    expect(replied.status()).toBe(303)
    await page.waitForURL((u) => u.pathname === threadPath && u.hash === '#p2')
    const reply = page.locator('#posts article#p2')
    expect(await reply.textContent()).toContain(replyText)
    expect(await reply.locator('.sig').textContent()).toBe('session-attested')
    expect(await reply.getByRole('link', { name: 'signed text' }).count()).toBe(0)
    expect(await reply.getByRole('link', { name: 'key', exact: true }).getAttribute('href')).toBe(await keyLink.getAttribute('href'))
    expect((await page.request.get(`${threadPath}/p/2.asc`)).status()).toBe(404)
    // The first post is unchanged.
    expect(await first.locator('.sig').textContent()).toBe('gpg-signed')
    expect(htmxRequests).toEqual([])
  })

  it('refuses a signed challenge changed by one character: a 422 page that says why, and no session', async () => {
    const page = await visitor()
    const publicKey = gpg.exportPublic(fpr)
    await page.goto('/identity')
    const challenge = await challengeOf(page)
    const good = gpg.clearsign(fpr, `${challenge}\n`)
    // Change the last character of the nonce in the signed text: it is refused for that (the
    // server did not issue it) before its signature is checked.
    const nonceLine = /^nonce: .*$/m.exec(good)![0]
    const last = nonceLine.at(-1)!
    const bad = good.replace(nonceLine, nonceLine.slice(0, -1) + (last === 'A' ? 'B' : 'A'))
    expect(bad).not.toBe(good)
    expect(bad.length).toBe(good.length)

    await page.getByLabel('Your public key').fill(publicKey)
    await page.getByLabel('The challenge, clearsigned').fill(bad)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/login'),
      page.getByRole('button', { name: 'Log in with this key' }).click(),
    ])
    expect(res.status()).toBe(422)
    await page.waitForLoadState()
    const login = page.locator('#gpg-login form')
    expect(await login.locator('[role=alert]').textContent()).toBe('That challenge was not issued here (or the server restarted since). Sign the new challenge below.')
    const signedBox = page.getByLabel('The challenge, clearsigned')
    expect(await signedBox.getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#signed-error').textContent()).toMatch(/\S/)
    // The key comes back; the signed challenge does not, and a fresh challenge is offered.
    expect((await page.getByLabel('Your public key').inputValue()).trim()).toBe(publicKey.trim())
    expect(await signedBox.inputValue()).toBe('')
    expect(await challengeOf(page)).not.toBe(challenge)

    // No session.
    expect(await h1(page)).toBe('Take an identity')
    expect(await nav(page)).toContain('Take an identity')
    expect((await page.goto('/identity/public-key.asc'))!.status()).toBe(404)
    await page.goto('/c/lobby/general')
    expect(await nav(page)).toContain('Take an identity')
    expect(await page.locator('#new-thread form').count()).toBe(0)
    expect(htmxRequests).toEqual([])
  })
})
