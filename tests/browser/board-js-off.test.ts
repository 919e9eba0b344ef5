import type { Browser, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite, downloadText, gpgVerify } from '../support/browser.ts'

// A new visitor with JavaScript off (Tor Browser "Safest"): every step is a plain link or form.
describe('the board with JavaScript off', () => {
  const suite = browserSuite()
  const htmxRequests: string[] = []


  async function visitor(): Promise<Page> {
    const page = await suite.page(false)
    // With JS off, htmx never runs: no request may carry its header.
    page.on('request', (r) => {
      if (r.headers()['hx-request'] !== undefined) htmxRequests.push(`${r.method()} ${r.url()}`)
    })
    return page
  }

  /** Take a disposable identity from /identity; returns the pseudonym the header shows. */
  async function takeIdentity(page: Page): Promise<{ handle: string; short: string }> {
    await page.goto('/identity')
    await expect(page.locator('h1').textContent()).resolves.toBe('Take an identity')
    // The browser key needs JavaScript: with it off, the page says so rather than hiding it silently.
    expect(await page.locator('#browser-key').isVisible()).toBe(false)
    expect(await page.getByText('This way needs JavaScript').isVisible()).toBe(true)
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.waitForURL(/\/identity$/)
    expect(await page.locator('h1').textContent()).toBe('Your identity')
    const me = page.locator('header.top nav a[href="/identity"]')
    const short = (await me.locator('code').textContent())!.trim()
    const handle = (await me.textContent())!.replace(short, '').trim()
    expect(handle).toMatch(/^[a-z]+-[a-z]+$/)
    expect(short).toMatch(/^[0-9A-F]{4} [0-9A-F]{4}$/)
    return { handle, short }
  }

  it('reads, takes an identity, posts, replies, checks the signature with gpg, and burns the identity', async () => {
    const page = await visitor()

    // Home → Lobby → General, by following links.
    const home = await page.goto('/')
    expect(home!.status()).toBe(200)
    expect(await page.locator('h1').textContent()).toBe('Cells')
    await page.getByRole('link', { name: 'Lobby', exact: true }).click()
    await page.waitForURL(/\/c\/lobby$/)
    expect(await page.locator('h1').textContent()).toBe('Lobby')
    await page.getByRole('link', { name: 'General', exact: true }).click()
    await page.waitForURL(/\/c\/lobby\/general$/)
    expect(await page.locator('h1').textContent()).toBe('General')
    // Without an identity the board offers a way to get one instead of a form.
    await expect(page.locator('#new-thread').textContent()).resolves.toContain('take an identity')
    expect(await page.locator('#new-thread form').count()).toBe(0)

    // A disposable identity; its private key is offered for download once.
    const me = await takeIdentity(page)
    // A button (a POST), so no prefetch or link preview can use up the one download.
    const offer = page.getByRole('button', { name: 'Download the private key (once)' })
    expect(await offer.count()).toBe(1)
    const priv = await downloadText(page, () => offer.click())
    expect(priv.text).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
    expect(priv.download.suggestedFilename()).toBe('cellboard-private-key.asc')
    await page.reload()
    expect(await page.getByRole('button', { name: /Download the private key/ }).count()).toBe(0)
    expect(await page.locator('main').textContent()).toContain('no longer available for download')
    const again = await page.goto('/identity/private-key.asc')
    expect(again!.status()).toBe(405)

    // Start a thread from the board page.
    await page.goto('/c/lobby/general')
    const title = `Thread from a JS-off browser ${Date.now()}`
    await page.fill('#title', title)
    await page.fill('#body', 'The *first* post of this thread.')
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/c/lobby/general')),
      page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(started.status()).toBe(303)
    await page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
    expect(await page.locator('h1').textContent()).toBe(title)
    const threadUrl = new URL(page.url())

    // Reply on the thread page.
    const replyText = `A reply with JavaScript off, number ${Math.random().toString(36).slice(2)}.`
    await page.fill('#reply-body', replyText)
    const [replied] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === threadUrl.pathname),
      page.getByRole('button', { name: 'Post reply' }).click(),
    ])
    expect(replied.status()).toBe(303)
    await page.waitForURL((u) => u.pathname === threadUrl.pathname && u.hash === '#p2')

    // Both posts show, each under the pseudonym the header shows.
    const first = page.locator('#posts article#p1')
    const reply = page.locator('#posts article#p2')
    await expect(first.locator('em').textContent()).resolves.toBe('first')
    expect(await reply.textContent()).toContain(replyText)
    for (const post of [first, reply]) {
      expect(await post.locator('header b').textContent()).toBe(me.handle)
      expect(await post.locator('header code').textContent()).toBe(me.short)
    }
    expect(await page.locator('header.top nav').textContent()).toContain(me.handle)

    // The reply's signed text and its key, downloaded by clicking, verify with real GnuPG.
    const signed = await downloadText(page, () => reply.getByRole('link', { name: 'signed text' }).click())
    expect(signed.download.url()).toMatch(/\/t\/\d+\/p\/2\.asc$/)
    expect(signed.text).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    expect(signed.text).toContain(replyText)
    const key = await downloadText(page, () => reply.getByRole('link', { name: 'key', exact: true }).click())
    expect(key.download.url()).toMatch(/\/k\/[0-9a-f]{40,64}\.asc$/)
    expect(key.text).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    const gpg = gpgVerify(key.text, signed.text)
    expect(gpg.stderr).toContain('Good signature')
    expect(gpg.status, gpg.stderr).toBe(0)
    // And the check is real: one changed word fails it.
    const forged = gpgVerify(key.text, signed.text.replace(replyText, replyText.replace('reply', 'forgery')))
    expect(forged.status).not.toBe(0)
    expect(forged.stderr).toContain('BAD signature')

    // Burn the identity: the header's pseudonym leads to the identity page, where the button is.
    expect(new URL(page.url()).pathname).toBe(threadUrl.pathname)
    await expect(page.locator('header.top').getByRole('button', { name: 'Burn identity' }).count()).resolves.toBe(0)
    await page.locator('header.top nav a[href="/identity"]').click()
    await page.waitForURL(/\/identity$/)
    await page.locator('main').getByRole('button', { name: 'Burn identity' }).click()
    await page.waitForURL(/\/identity\?burned=1$/)
    expect(await page.locator('h1').textContent()).toBe('Take an identity')
    expect(await page.locator('header.top nav').textContent()).toContain('Take an identity')
    expect(await page.locator('main').textContent()).toContain('Your identity was burned')
    const pub = await page.goto('/identity/public-key.asc')
    expect(pub!.status()).toBe(404)
    // The posts stay published under the pseudonym.
    await page.goto(threadUrl.pathname)
    expect(await page.locator('#posts article#p2 header b').textContent()).toBe(me.handle)
    expect(htmxRequests).toEqual([])
  })

  it('refuses a 201-character title with a 422 page that shows why beside the field and keeps the text', async () => {
    const page = await visitor()
    await takeIdentity(page)
    await page.goto('/c/lobby/general')
    const longTitle = 'x'.repeat(201)
    const body = 'This text must come back after the refusal.'
    await page.fill('#title', longTitle)
    await page.fill('#body', body)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/c/lobby/general')),
      page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(res.status()).toBe(422)
    await page.waitForLoadState()
    // A summary at the top of the form, and the reason beside the field.
    expect(await page.locator('#new-thread form [role=alert]').textContent()).toMatch(/\S/)
    const title = page.locator('#title')
    expect(await title.getAttribute('aria-invalid')).toBe('true')
    expect(await title.getAttribute('aria-describedby')).toBe('title-error')
    expect(await page.locator('#title-error').textContent()).toBe('At most 200 characters; this has 201.')
    // The message sits right after its field.
    expect(await title.evaluate((el) => el.nextElementSibling?.id)).toBe('title-error')
    expect(await title.inputValue()).toBe(longTitle)
    expect(await page.locator('#body').inputValue()).toBe(body)
    // Nothing was kept: the board lists no thread with that title.
    await page.goto('/c/lobby/general')
    expect(await page.locator('#threads').textContent()).not.toContain(longTitle)
  })

  it('a reply sent, then Back, then sent again (the text kept in the field by the browser) is posted once', async () => {
    const page = await visitor()
    await takeIdentity(page)
    await page.goto('/c/lobby/general')
    await page.fill('#title', 'Back and again')
    await page.fill('#body', 'the first post')
    await Promise.all([page.waitForURL(/\/t\/\d+/), page.getByRole('button', { name: 'Start thread' }).click()])
    const thread = new URL(page.url()).pathname
    const text = 'a reply on a slow circuit'
    await page.goto(thread)
    await page.fill('#reply-body', text)
    await Promise.all([page.waitForURL(/#p2$/), page.getByRole('button', { name: 'Reply' }).click()])
    await page.goBack()
    await page.waitForLoadState()
    // The page came again (a new form token), with the text the browser kept in the field.
    expect(await page.locator('#reply-body').inputValue()).toBe(text)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === thread),
      page.getByRole('button', { name: 'Reply' }).click(),
    ])
    expect(res.status()).toBe(303)
    await page.waitForURL(/#p2$/)
    // One reply: post 2, and no post 3.
    expect(await page.locator('article.post').count()).toBe(2)
    expect(await page.locator('#p2').textContent()).toContain(text)
  })
})
