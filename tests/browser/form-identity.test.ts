import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite, watchProblems } from '../support/browser.ts'

// One browser, two tabs: a reply form is opened as identity A; in the other tab A is burned and B
// taken; then the reply is sent from the first tab. It must not be published as B.
describe('a reply form opened as one identity, sent after the browser changed identity', () => {
  const suite = browserSuite()

  /** The pseudonym the header shows, as "handle · SHORT FPR". */
  async function whoAmI(page: Page): Promise<string> {
    const me = page.locator('header.top nav a[href="/identity"]')
    const short = (await me.locator('code').textContent())!.trim()
    return `${(await me.textContent())!.replace(short, '').trim()} · ${short}`
  }

  async function takeIdentity(page: Page): Promise<string> {
    await page.goto('/identity')
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.locator('main h1', { hasText: 'Your identity' }).waitFor()
    return whoAmI(page)
  }

  for (const js of [false, true]) {
    it(`JS ${js ? 'on (htmx)' : 'off'}: the reply is refused with 409 naming both pseudonyms, its text kept read-only, nothing published`, async () => {
      const page = await suite.page(js)
      const problems = js ? watchProblems(page, suite.server.url, { warnings: false }) : []
      const a = await takeIdentity(page)
      await page.goto('/c/lobby/general')
      const title = `Opened as A, ${js ? 'JS on' : 'JS off'} ${Date.now()}`
      await page.fill('#title', title)
      await page.fill('#body', 'The first post, by A.')
      await page.getByRole('button', { name: 'Start thread' }).click()
      await page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
      await page.locator('main h1', { hasText: title }).waitFor()
      const threadPath = new URL(page.url()).pathname
      if (js) await page.waitForFunction(() => 'htmx' in window)
      expect(await page.locator('#reply label').textContent()).toContain(a.split(' · ')[0])

      // Another tab of the same browser burns A and takes B.
      const other = await page.context().newPage()
      await other.goto('/identity')
      await other.getByRole('button', { name: 'Burn identity' }).click()
      await other.locator('main h1', { hasText: 'Take an identity' }).waitFor()
      const b = await takeIdentity(other)
      expect(b).not.toBe(a)
      await other.close()

      // Back in the first tab, the form still says "Reply as A".
      const text = `Meant to be signed by A, ${Math.random().toString(36).slice(2)}`
      await page.fill('#reply-body', text)
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === threadPath),
        page.getByRole('button', { name: 'Post reply' }).click(),
      ])
      expect(res.status()).toBe(409)
      const alert = page.getByRole('alert')
      await alert.waitFor()
      expect(await alert.textContent()).toContain(`This form was opened as ${a}; this browser now holds ${b}`)
      // The text is there to copy, read-only, with no form that would send it as B.
      const kept = page.locator('textarea[readonly]', { hasText: text })
      expect(await kept.count()).toBe(1)
      expect(await page.locator('form[method="post"] textarea').count()).toBe(0)
      expect(await page.locator(`main a[href="${threadPath}"]`).count()).toBeGreaterThan(0)

      // Nothing was published.
      const thread = await page.context().request.get(threadPath)
      const html = await thread.text()
      expect(html).not.toContain(text)
      expect(html.match(/<article id="p\d+"/g)).toHaveLength(1)
      expect(problems.filter((p) => !/409/.test(p))).toEqual([])
    })
  }
})
