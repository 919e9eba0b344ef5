import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite, downloadText, gpgVerify, watchProblems } from '../support/browser.ts'

// The same journey with JavaScript on: htmx boosts links and forms and posts replies in place.
describe('the board with JavaScript on', () => {
  const suite = browserSuite()


  /** A page that records every request it makes and everything that goes wrong in it. */
  async function visitor() {
    const page = await suite.page(true)
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    return { page, requests, problems: watchProblems(page, suite.server.url) }
  }

  type Marks = { __boost?: number; __settles?: number; __settlesBefore?: number }

  /** Click a link or button that htmx boosts, and check the page was swapped in, not reloaded. */
  async function boosted(page: Page, click: () => Promise<unknown>, url: RegExp | ((u: URL) => boolean)) {
    await page.evaluate(() => {
      const w = window as unknown as Marks
      w.__boost = 7
      if (w.__settles === undefined) {
        w.__settles = 0
        document.addEventListener('htmx:afterSettle', () => (w.__settles! += 1))
      }
      w.__settlesBefore = w.__settles
    })
    const [req] = await Promise.all([page.waitForRequest((r) => r.headers()['hx-boosted'] === 'true'), click()])
    expect(req.headers()['hx-request']).toBe('true')
    await page.waitForFunction(() => {
      const w = window as unknown as Marks
      return w.__settles! > w.__settlesBefore!
    })
    await page.waitForURL(url)
    expect(await page.evaluate(() => (window as unknown as Marks).__boost)).toBe(7)
  }

  /**
   * Click the reply's download link on the thread page and return the file. If the click does not
   * download (htmx boosting the link swaps the file into the page instead), record a soft failure
   * that says what happened, and fetch the file directly so the rest of the journey still runs.
   */
  async function clickDownload(page: Page, threadPath: string, name: 'signed text' | 'key'): Promise<string> {
    await page.goto(threadPath)
    await page.waitForFunction(() => 'htmx' in window)
    const link = page.locator('#posts article#p2').getByRole('link', { name, exact: true })
    const href = (await link.getAttribute('href'))!
    try {
      return (await downloadText(page, () => link.click(), 5_000)).text
    } catch {
      const shown = (await page.locator('body').innerText()).slice(0, 80).replace(/\s+/g, ' ')
      expect.soft(false, `clicking "${name}" (${href}) with JS on did not download it: the page went to ${new URL(page.url()).pathname} and its body became "${shown}…"`).toBe(true)
      const res = await page.request.get(href)
      expect(res.status()).toBe(200)
      return res.text()
    }
  }

  const h1 = (page: Page) => page.locator('main h1').textContent()

  it('reads, takes an identity, posts, replies in place, checks the signature with gpg, and burns the identity', async () => {
    const { page, requests, problems } = await visitor()

    // Home → Lobby → General: boosted navigation, no full page loads.
    expect((await page.goto('/'))!.status()).toBe(200)
    await page.waitForFunction(() => 'htmx' in window)
    expect(await h1(page)).toBe('Cells')
    await boosted(page, () => page.getByRole('link', { name: 'Lobby', exact: true }).click(), /\/c\/lobby$/)
    expect(await h1(page)).toBe('Lobby')
    expect(await page.title()).toBe('Lobby · cellboard')
    await boosted(page, () => page.getByRole('link', { name: 'General', exact: true }).click(), /\/c\/lobby\/general$/)
    expect(await h1(page)).toBe('General')

    // A disposable identity, from the link in the header and the one button (a boosted form).
    await boosted(page, () => page.locator('header.top').getByRole('link', { name: 'Take an identity' }).click(), (u) => u.pathname === '/identity')
    expect(await h1(page)).toBe('Take an identity')
    await boosted(page, () => page.getByRole('button', { name: 'Take a disposable identity' }).click(), (u) => u.pathname === '/identity')
    expect(await h1(page)).toBe('Your identity')
    const meLink = page.locator('header.top nav a[href="/identity"]')
    const short = (await meLink.locator('code').textContent())!.trim()
    const handle = (await meLink.textContent())!.replace(short, '').trim()
    expect(handle).toMatch(/^[a-z]+-[a-z]+$/)
    expect(short).toMatch(/^[0-9A-F]{4} [0-9A-F]{4}$/)

    // The private key is offered once, as a real download.
    const priv = await downloadText(page, () => page.getByRole('button', { name: 'Download the private key (once)' }).click())
    expect(priv.text).toContain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
    await page.reload()
    expect(await h1(page)).toBe('Your identity')
    expect(await page.getByRole('button', { name: /Download the private key/ }).count()).toBe(0)

    // Start a thread from the board page (a boosted form that ends on the new thread).
    await page.goto('/c/lobby/general')
    await page.waitForFunction(() => 'htmx' in window)
    const title = `Thread from a JS-on browser ${Date.now()}`
    await page.fill('#title', title)
    await page.fill('#body', 'The *first* post, with JavaScript on.')
    await boosted(page, () => page.getByRole('button', { name: 'Start thread' }).click(), /\/c\/lobby\/general\/t\/\d+$/)
    expect(await h1(page)).toBe(title)
    const threadPath = new URL(page.url()).pathname
    expect(await page.locator('#posts article').count()).toBe(1)

    // Reply in place: the new post is appended by htmx and the page is not reloaded.
    await page.evaluate(() => ((window as unknown as { __noReload: number }).__noReload = 42))
    const replyText = `An inline reply, number ${Math.random().toString(36).slice(2)}.`
    await page.fill('#reply-body', replyText)
    // As a person who dragged the box's corner: the browser gives it an inline style, which the
    // fresh form must not inherit under the CSP (style-src 'self'), or the console says so.
    await page.evaluate(() => ((document.querySelector('#reply-body') as HTMLElement).style.height = '240px'))
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === threadPath),
      page.getByRole('button', { name: 'Post reply' }).click(),
    ])
    expect(res.status()).toBe(200)
    expect(res.request().headers()['hx-request']).toBe('true')
    await page.locator('#posts article#p2').waitFor()
    expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(42)
    expect(await page.locator('#reply-body').inputValue()).toBe('')
    expect(new URL(page.url()).pathname).toBe(threadPath)

    // Both posts, each under the pseudonym the header shows.
    const first = page.locator('#posts article#p1')
    const reply = page.locator('#posts article#p2')
    expect(await page.locator('#posts article').count()).toBe(2)
    expect(await first.locator('em').textContent()).toBe('first')
    expect(await reply.textContent()).toContain(replyText)
    for (const post of [first, reply]) {
      expect(await post.locator('header b').textContent()).toBe(handle)
      expect(await post.locator('header code').textContent()).toBe(short)
    }
    // The same after a real reload (what was appended is what was stored).
    await page.reload()
    expect(await page.locator('#posts article#p2').textContent()).toContain(replyText)

    // The reply's signed text and key are downloads, even on a boosted page, and verify with gpg.
    const signed = await clickDownload(page, threadPath, 'signed text')
    expect(signed).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    expect(signed).toContain(replyText)
    const key = await clickDownload(page, threadPath, 'key')
    expect(key).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    const gpg = gpgVerify(key, signed)
    expect(gpg.stderr).toContain('Good signature')
    expect(gpg.status, gpg.stderr).toBe(0)

    // Burn the identity on the identity page, reached from the header.
    await page.goto(threadPath)
    await page.waitForFunction(() => 'htmx' in window)
    await boosted(page, () => page.locator('header.top nav a[href="/identity"]').click(), (u) => u.pathname === '/identity')
    await boosted(page, () => page.locator('main').getByRole('button', { name: 'Burn identity' }).click(), (u) => u.pathname === '/identity')
    expect(await h1(page)).toBe('Take an identity')
    expect(await page.locator('header.top nav').textContent()).toContain('Take an identity')

    // Nothing went wrong in the page: no CSP violation, no script error, no failed load.
    expect(problems).toEqual([])
    // (This 404 is asked for, and Chromium logs it to the console.)
    expect((await page.goto('/identity/public-key.asc'))!.status()).toBe(404)

    // Nothing left for another host.
    const origin = new URL(suite.server.url).origin
    expect(requests.length).toBeGreaterThan(10)
    expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([])
  })

  it('never turns the markup someone wrote in a post into page HTML, not even via its signed text', async () => {
    const { page } = await visitor()
    await page.goto('/identity')
    await page.waitForFunction(() => 'htmx' in window)
    await boosted(page, () => page.getByRole('button', { name: 'Take a disposable identity' }).click(), (u) => u.pathname === '/identity')
    await page.goto('/c/lobby/general')
    await page.waitForFunction(() => 'htmx' in window)
    await page.fill('#title', `Markup test ${Date.now()}`)
    await page.fill('#body', 'Plain words and <b id="injected">tags</b> <a id="injected-link" href="/identity">a link</a>.')
    await boosted(page, () => page.getByRole('button', { name: 'Start thread' }).click(), /\/t\/\d+$/)
    expect(await page.locator('#p1').textContent()).toContain('<b id="injected">tags</b>')
    expect(await page.locator('#injected, #injected-link').count()).toBe(0)

    // The signed text holds the source as written; following its link must not render it.
    const link = page.locator('#p1').getByRole('link', { name: 'signed text' })
    const downloaded = page.waitForEvent('download', { timeout: 5_000 }).then(() => true, () => false)
    const fetched = page.waitForResponse((r) => r.url().endsWith('/p/1.asc'), { timeout: 5_000 }).then(() => true, () => false)
    await link.click()
    expect(await Promise.race([downloaded, fetched])).toBe(true)
    await page.waitForTimeout(300)
    expect(await page.locator('#injected, #injected-link').count()).toBe(0)
    // Clicking it is a download: the thread page stays.
    expect(await downloaded).toBe(true)
    expect(page.url()).toMatch(/\/t\/\d+$/)
  })

  /** A JS-on visitor who took a disposable identity, on the board's page. */
  async function withIdentityOnBoard() {
    const v = await visitor()
    await v.page.goto('/identity')
    await v.page.waitForFunction(() => 'htmx' in window)
    await boosted(v.page, () => v.page.getByRole('button', { name: 'Take a disposable identity' }).click(), (u) => u.pathname === '/identity')
    await v.page.goto('/c/lobby/general')
    await v.page.waitForFunction(() => 'htmx' in window)
    return v
  }

  it('a thread refused for a field: the focus is on that field, not left at the top of the page', async () => {
    const { page, problems } = await withIdentityOnBoard()
    // Spaces: the browser's own check (required) lets them through; the server refuses a blank title.
    await page.fill('#title', '   ')
    await page.fill('#body', 'A thread without a title.')
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Start thread' }).click()])
    expect(res.status()).toBe(422)
    await page.waitForFunction(() => document.activeElement?.id === 'title', undefined, { timeout: 10_000 })
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid'))).toBe('true')
    expect(await page.inputValue('#body')).toBe('A thread without a title.')
    expect(problems.filter((p) => !/status of 422/.test(p))).toEqual([])
  })

  it('a reply refused for its field (swapped in place of the form): the focus is on the reply box', async () => {
    // The refusal replaces the form itself (outerHTML), so the old form the focus code looked in was gone.
    const { page, problems } = await withIdentityOnBoard()
    await page.fill('#title', `Focus test ${Date.now()}`)
    await page.fill('#body', 'A thread for a blank reply.')
    await boosted(page, () => page.getByRole('button', { name: 'Start thread' }).click(), /\/t\/\d+$/)
    await page.fill('#reply-body', '   ')
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Post reply' }).click()])
    expect(res.status()).toBe(422)
    await page.waitForFunction(() => document.activeElement?.id === 'reply-body', undefined, { timeout: 10_000 })
    expect(problems.filter((p) => !/status of 422/.test(p))).toEqual([])
  })

  it('each outcome replaces the one before: a refusal’s messages go when a later send is too large (413) or is lost on the way', async () => {
    const { page } = await withIdentityOnBoard()
    await page.fill('#title', '   ')
    await page.fill('#body', 'A thread refused, then sent again.')
    const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Start thread' }).click()])
    expect(refused.status()).toBe(422)
    await page.locator('#title-error').waitFor()
    // Too large as sent: the reason goes in the form's message slot; the title's message no longer applies.
    await page.fill('#title', 'Fixed title')
    await page.fill('#body', 'я'.repeat(12_000))
    const [large] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Start thread' }).click()])
    expect(large.status()).toBe(413)
    await page.locator('.form-problem [role=alert]', { hasText: 'Your text is still in the form' }).waitFor()
    expect(await page.locator('#title-error').count()).toBe(0)
    expect(await page.locator('form [aria-invalid="true"]').count()).toBe(0)
    // Lost on the way: one message, that one.
    await page.fill('#body', 'A short body now.')
    await page.route('**/c/lobby/general', (r) => (r.request().method() === 'POST' ? r.abort() : r.continue()))
    await page.getByRole('button', { name: 'Start thread' }).click()
    await page.locator('form .held-error', { hasText: 'Not sent: the connection failed on the way.' }).waitFor({ timeout: 30_000 })
    expect(await page.locator('form .form-error, form .field-error').allTextContents()).toEqual(['Not sent: the connection failed on the way. Your text is still here; send it again.'])
    expect(await page.inputValue('#body')).toBe('A short body now.')
  })

  it('a reply too large as sent (413) leaves the form and its text in place, with the reason beside it', async () => {
    const { page, problems } = await withIdentityOnBoard()
    await page.fill('#title', `Long reply test ${Date.now()}`)
    await page.fill('#body', 'A thread for a long reply.')
    await boosted(page, () => page.getByRole('button', { name: 'Start thread' }).click(), /\/t\/\d+$/)
    // 12,000 Cyrillic letters: within the 20,000-character limit, but 72 KB as the form sends them.
    const long = 'я'.repeat(12_000)
    await page.fill('#reply-body', long)
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Post reply' }).click()])
    expect(res.status()).toBe(413)
    await page.locator('#reply .form-problem [role=alert]').waitFor()
    expect(await page.locator('#reply .form-problem [role=alert]').textContent()).toContain('Your text is still in the form')
    expect(await page.inputValue('#reply-body')).toBe(long)
    expect(await page.locator('#posts article').count()).toBe(1)
    // The browser reports the 413 itself; nothing else may go wrong.
    expect(problems.filter((p) => !/status of 413/.test(p))).toEqual([])
  })

  it('a preview too large as sent (413) says why where the preview goes, the text kept', async () => {
    // The preview button sends the form itself (hx-post on the button): the reason was aimed at a
    // message slot inside the button, found nothing, and the person saw nothing happen.
    const { page, problems } = await withIdentityOnBoard()
    const long = 'я'.repeat(12_000)
    await page.fill('#title', 'A long preview')
    await page.fill('#body', long)
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Preview' }).click()])
    expect(res.status()).toBe(413)
    await page.locator('#new-thread-preview [role=alert]', { hasText: 'Your text is still in the form' }).waitFor({ timeout: 10_000 })
    expect(await page.inputValue('#body')).toBe(long)
    expect(new URL(page.url()).pathname).toBe('/c/lobby/general')
    expect(problems.filter((p) => !/status of 413/.test(p))).toEqual([])
  })
})
