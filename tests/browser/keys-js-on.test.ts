import * as openpgp from 'openpgp'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite, downloadText, gpgVerify, watchProblems } from '../support/browser.ts'

const STORE = 'cellboard.browser-key'

type Sent = { method: string; url: string; body: string | null }

// A browser key, with JavaScript on: made and kept in the browser, it signs the login challenge and
// every post there. Its private key must never be sent anywhere.
describe('a browser key with JavaScript on', () => {
  const suite = browserSuite()


  /** A page that records every request it sends (method, address, body) and every error in it. */
  async function visitor() {
    const page = await suite.page(true)
    const sent: Sent[] = []
    page.on('request', (r) => sent.push({ method: r.method(), url: r.url(), body: r.postData() }))
    return { page, sent, problems: watchProblems(page, suite.server.url, { warnings: false }) }
  }

  const h1 = (page: Page) => page.locator('main h1').textContent()
  const nav = (page: Page) => page.locator('header.top nav').textContent()
  const ready = (page: Page) => page.waitForFunction(() => 'htmx' in window)

  /** Every form of a request body a server could read: as sent, and form-decoded. */
  function bodyForms(body: string | null): string[] {
    if (!body) return []
    const forms = [body]
    try {
      forms.push([...new URLSearchParams(body).entries()].map(([k, v]) => `${k}=${v}`).join('\n'))
    } catch {}
    try {
      forms.push(decodeURIComponent(body.replace(/\+/g, ' ')))
    } catch {}
    return forms
  }

  it('makes a key, logs in with it, signs a thread and an inline reply that verify with gpg, forgets it, and never sends the private key', async () => {
    const { page, sent, problems } = await visitor()

    // The panel shows only when the script runs.
    expect((await page.goto('/identity'))!.status()).toBe(200)
    await ready(page)
    expect(await h1(page)).toBe('Take an identity')
    const panel = page.locator('#browser-key')
    await panel.waitFor({ state: 'visible' })
    expect(await page.getByText('This way needs JavaScript').isVisible()).toBe(false)
    await panel.getByRole('button', { name: 'Create a browser key' }).click()
    const bkFpr = panel.locator('.bk-fpr')
    await bkFpr.waitFor({ state: 'visible' })
    await page.waitForFunction(() => /^[0-9a-f]{40,64}$/i.test(document.querySelector('#browser-key .bk-fpr')?.textContent ?? ''))
    const fpr = (await bkFpr.textContent())!.trim()
    expect(fpr).toMatch(/^[0-9a-f]{40,64}$/i)
    const armoredPrivate = (await page.evaluate((k) => localStorage.getItem(k), STORE))!
    expect(armoredPrivate).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')

    // Log in with it: the browser signs the challenge and posts the signed challenge and the public key.
    const [login] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/login'),
      panel.getByRole('button', { name: 'Log in with the browser key' }).click(),
    ])
    expect(login.status()).toBe(303)
    await page.waitForURL((u) => u.pathname === '/identity')
    expect(await h1(page)).toBe('Your identity')
    expect((await page.locator('main code.fpr').textContent())!.toLowerCase()).toBe(fpr.toLowerCase())
    expect(await page.locator('main').textContent()).toContain('browser key')
    expect(await nav(page)).not.toContain('Take an identity')
    const loginBody = new URLSearchParams(sent.find((s) => s.method === 'POST' && new URL(s.url).pathname === '/identity/login')!.body ?? '')
    expect(loginBody.get('via')).toBe('browser')
    expect(loginBody.get('public_key')).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    expect(loginBody.get('signed')).toContain('-----BEGIN PGP SIGNED MESSAGE-----')

    // Start a thread: a boosted form, signed in the browser before it is sent.
    await page.goto('/c/lobby/general')
    await ready(page)
    const title = `A browser-signed thread ${Date.now()}`
    const body = `Signed in the browser, number ${Math.random().toString(36).slice(2)}.`
    await page.fill('#title', title)
    await page.fill('#body', body)
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/general'),
      page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(started.request().headers()['hx-request']).toBe('true')
    expect(new URLSearchParams(started.request().postData() ?? '').get('signature')).toContain('-----BEGIN PGP SIGNATURE-----')
    await page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
    await page.locator('#posts article#p1').waitFor()
    expect(await h1(page)).toBe(title)
    const threadPath = new URL(page.url()).pathname

    // Reply in place: appended by htmx, no page load.
    await page.evaluate(() => ((window as unknown as { __noReload: number }).__noReload = 42))
    const replyText = `An inline reply signed in the browser, number ${Math.random().toString(36).slice(2)}.`
    await page.fill('#reply-body', replyText)
    const [replied] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === threadPath),
      page.getByRole('button', { name: 'Post reply' }).click(),
    ])
    expect(replied.status()).toBe(200)
    expect(replied.request().headers()['hx-request']).toBe('true')
    expect(new URLSearchParams(replied.request().postData() ?? '').get('signature')).toContain('-----BEGIN PGP SIGNATURE-----')
    await page.locator('#posts article#p2').waitFor()
    expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(42)
    expect(new URL(page.url()).pathname).toBe(threadPath)
    expect(await page.locator('#reply-body').inputValue()).toBe('')

    // Both posts are marked "browser", and their signed texts verify with real GnuPG against the published key.
    let publicKey = ''
    for (const [n, text] of [[1, `title: ${title}\n\n${body}`], [2, replyText]] as const) {
      const post = page.locator(`#posts article#p${n}`)
      expect(await post.locator('.sig').textContent()).toBe('browser')
      const signedHref = (await post.getByRole('link', { name: 'signed text' }).getAttribute('href'))!
      const keyHref = (await post.getByRole('link', { name: 'key', exact: true }).getAttribute('href'))!
      expect(signedHref).toBe(`${threadPath}/p/${n}.asc`)
      expect(keyHref.toLowerCase()).toBe(`/k/${fpr.toLowerCase()}.asc`)
      const signedRes = await page.request.get(signedHref)
      const keyRes = await page.request.get(keyHref)
      expect(signedRes.status()).toBe(200)
      expect(keyRes.status()).toBe(200)
      expect(signedRes.headers()['content-disposition']).toMatch(/^attachment;/)
      expect(keyRes.headers()['content-disposition']).toMatch(/^attachment;/)
      const signed = await signedRes.text()
      publicKey = await keyRes.text()
      expect(signed).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
      expect(signed).toContain(text)
      expect(publicKey).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
      const verified = gpgVerify(publicKey, signed)
      expect(verified.stderr).toContain('Good signature')
      expect(verified.stderr).toContain(fpr.toUpperCase())
      expect(verified.status, verified.stderr).toBe(0)
      // The signature's own time, and the key's, say only the UTC day, not the second.
      const signature = (await openpgp.readSignature({ armoredSignature: signed.slice(signed.indexOf('-----BEGIN PGP SIGNATURE-----')) })).packets[0]!
      expect(signature.created!.getTime() % 86_400_000).toBe(0)
      expect((await openpgp.readKey({ armoredKey: publicKey })).getCreationTime().getTime() % 86_400_000).toBe(0)
      const forged = gpgVerify(publicKey, signed.replace(text, text.replace('number', 'numero')))
      expect(forged.status).not.toBe(0)
    }
    // What was appended is what was stored.
    await page.reload()
    await ready(page)
    expect(await page.locator('#posts article#p2 .sig').textContent()).toBe('browser')

    // Forget the key: it leaves this browser's storage, and the session that used it ends.
    await page.locator('header.top nav a[href="/identity"]').click()
    await page.waitForURL((u) => u.pathname === '/identity')
    await ready(page)
    expect(await h1(page)).toBe('Your identity')
    const forget = page.locator('#browser-key').getByRole('button', { name: 'Forget the key in this browser' })
    await forget.waitFor({ state: 'visible' })
    // Export it first: a download made in the page, the very key kept here.
    const exported = await downloadText(page, () => page.locator('#browser-key').getByRole('button', { name: 'Export the private key' }).click())
    expect(exported.download.suggestedFilename()).toBe('cellboard-browser-key.asc')
    expect(exported.text).toBe(armoredPrivate)
    await forget.click()
    await page.waitForFunction((k) => localStorage.getItem(k) === null, STORE)
    await page.waitForFunction(() => document.querySelector('header.top nav')?.textContent?.includes('Take an identity'))
    await page.waitForLoadState()
    expect(await page.evaluate((k) => localStorage.getItem(k), STORE)).toBeNull()
    expect(await h1(page)).toBe('Take an identity')
    expect(await nav(page)).toContain('Take an identity')
    expect((await page.request.get('/identity/public-key.asc')).status()).toBe(404)
    // With no key kept, the panel offers to make one again.
    await page.locator('#browser-key .bk-create').waitFor({ state: 'visible' })
    // The exported key imports again, in the page alone: the same fingerprint is back.
    await page.locator('#browser-key summary', { hasText: 'Import a private key' }).click()
    await page.fill('#bk-import', exported.text)
    await page.locator('#browser-key').getByRole('button', { name: 'Import', exact: true }).click()
    await page.waitForFunction((f) => document.querySelector('#browser-key .bk-fpr')?.textContent === f, fpr)
    expect(await page.evaluate((k) => localStorage.getItem(k), STORE)).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
    expect(await page.inputValue('#bk-import')).toBe('')

    // No request carried private key material, in its body or its address.
    const privateLines = armoredPrivate
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l))
    const publicLines = new Set(publicKey.split(/\r?\n/).map((l) => l.trim()))
    const secretLines = privateLines.filter((l) => !publicLines.has(l))
    expect(secretLines.length).toBeGreaterThan(0)
    expect(sent.filter((s) => s.method === 'POST').length).toBeGreaterThanOrEqual(4)
    const leaks: string[] = []
    for (const s of sent) {
      const places = [...bodyForms(s.body), s.url, decodeURIComponent(s.url)]
      if (places.some((p) => /PRIVATE KEY/.test(p))) leaks.push(`${s.method} ${s.url}: "PRIVATE KEY"`)
      for (const line of secretLines) if (places.some((p) => p.includes(line))) leaks.push(`${s.method} ${s.url}: private key line ${line.slice(0, 12)}…`)
    }
    expect(leaks).toEqual([])

    // Nothing went to another host, and nothing went wrong in the page.
    const origin = new URL(suite.server.url).origin
    expect(sent.length).toBeGreaterThan(10)
    expect(sent.filter((s) => new URL(s.url).origin !== origin).map((s) => s.url)).toEqual([])
    expect(problems).toEqual([])
  })

  it('burning a browser-key identity forgets the key in this browser too: nothing left that signs as it', async () => {
    const { page, problems } = await visitor()
    await page.goto('/identity')
    await ready(page)
    const panel = page.locator('#browser-key')
    await panel.getByRole('button', { name: 'Create a browser key' }).click()
    await page.waitForFunction(() => /^[0-9a-f]{40,64}$/i.test(document.querySelector('#browser-key .bk-fpr')?.textContent ?? ''))
    await panel.getByRole('button', { name: 'Log in with the browser key' }).click()
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Your identity')
    expect(await page.evaluate((k) => localStorage.getItem(k), STORE)).toContain('PRIVATE KEY BLOCK')
    expect(await page.locator('main').textContent()).toContain('Burning a browser key also forgets it in this browser')
    await page.getByRole('button', { name: 'Burn identity' }).click()
    await page.waitForURL(/burned=1/)
    await ready(page)
    expect(await page.evaluate((k) => localStorage.getItem(k), STORE)).toBeNull()
    // The panel offers to make a key, not to log in with the burned one.
    await page.locator('#browser-key .bk-create').waitFor({ state: 'visible' })
    expect(await page.locator('#browser-key .bk-login').isVisible()).toBe(false)
    expect(problems).toEqual([])
  })
})
