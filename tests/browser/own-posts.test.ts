import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite, waitForHeading, waitInPage, watchProblems } from '../support/browser.ts'

// Your own posts are marked "(you)" by your session's stylesheet, in a real browser: with
// JavaScript off, and with it on across a boosted burn and a new identity (htmx swaps the body,
// not the head, so a sheet left behind would go on marking the burned key's posts).
describe('own posts, marked in the browser', () => {
  const suite = browserSuite()

  /**
   * What the post's mark shows: its generated content, or "none". With a session, first waits for
   * the session's stylesheet to have loaded with its rules (a boosted page loads it after the swap),
   * so a "none" is not read before the sheet could apply.
   */
  async function markOf(page: Page, n: number) {
    if (await page.locator('link[href^="/identity/own-posts.css"]').count()) {
      await waitInPage(page, () => ((document.querySelector('link[href^="/identity/own-posts.css"]') as HTMLLinkElement | null)?.sheet?.cssRules.length ?? 0) > 0)
    }
    return page.locator(`#posts article#p${n} > header > b`).evaluate((el) => getComputedStyle(el, '::after').content)
  }
  const h1 = (page: Page) => page.locator('main h1').textContent()

  async function takeIdentity(page: Page) {
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await waitForHeading(page, 'Your identity')
  }

  it('JS off: my post is marked, another reader’s is not, and a reader with no session sees no mark', async () => {
    const me = await suite.page(false)
    await me.goto('/identity')
    await takeIdentity(me)
    await me.goto('/c/lobby/general')
    await me.fill('#title', `Mine, JS off ${Date.now()}`)
    await me.fill('#body', 'my post')
    await me.getByRole('button', { name: 'Start thread' }).click()
    await me.waitForURL(/\/t\/\d+$/)
    const thread = new URL(me.url()).pathname

    const other = await suite.page(false)
    await other.goto(thread)
    expect(await markOf(other, 1)).toBe('none')
    await other.goto('/identity')
    await takeIdentity(other)
    await other.goto(thread)
    await other.fill('#reply-body', 'their reply')
    await other.getByRole('button', { name: 'Reply' }).click()
    await other.waitForURL((u) => u.pathname === thread)

    await me.goto(thread)
    expect(await markOf(me, 1)).toBe('" (you)"')
    expect(await markOf(me, 2)).toBe('none')
    await other.goto(thread)
    expect(await markOf(other, 1)).toBe('none')
    expect(await markOf(other, 2)).toBe('" (you)"')
  })

  it('JS on: after a boosted burn and a new identity, the burned key’s post is no longer marked', async () => {
    const page = await suite.page(true)
    const problems = watchProblems(page, suite.server.url)
    await page.goto('/identity')
    await page.waitForFunction(() => 'htmx' in window)
    await takeIdentity(page)
    await page.goto('/c/lobby/general')
    await page.waitForFunction(() => 'htmx' in window)
    const title = `Mine, JS on ${Date.now()}`
    await page.fill('#title', title)
    await page.fill('#body', 'my post with JS on')
    await page.getByRole('button', { name: 'Start thread' }).click()
    await page.waitForURL(/\/t\/\d+$/)
    await page.locator('#posts article#p1').waitFor()
    expect(await markOf(page, 1)).toBe('" (you)"')

    // Burn and take a new identity, all boosted (no full page load), then back to the thread.
    await page.evaluate(() => ((window as unknown as { __kept: number }).__kept = 7))
    await page.locator('header.top nav a[href="/identity"]').click()
    await waitForHeading(page, 'Your identity')
    await page.locator('main').getByRole('button', { name: 'Burn identity' }).click()
    await waitForHeading(page, 'Take an identity')
    await takeIdentity(page)
    await page.locator('header.top a.home').click()
    await waitForHeading(page, 'Cells')
    await page.getByRole('link', { name: 'Lobby', exact: true }).click()
    await waitForHeading(page, 'Lobby')
    await page.getByRole('link', { name: 'General', exact: true }).click()
    await waitForHeading(page, 'General')
    await page.getByRole('link', { name: title }).click()
    await waitForHeading(page, title)
    expect(await page.evaluate(() => (window as unknown as { __kept?: number }).__kept)).toBe(7)
    expect(await h1(page)).toBe(title)
    expect(await markOf(page, 1)).toBe('none')
    // The new key's own reply is marked.
    await page.fill('#reply-body', 'the new key replies')
    await page.getByRole('button', { name: 'Reply' }).click()
    await page.locator('#posts article#p2').waitFor()
    await page.reload()
    expect(await markOf(page, 2)).toBe('" (you)"')
    expect(await markOf(page, 1)).toBe('none')
    expect(problems).toEqual([])
  })
})
