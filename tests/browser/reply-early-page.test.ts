import { describe, expect, it } from 'vitest'
import { browserSuite, watchProblems } from '../support/browser.ts'

// A reply sent from a page before a thread's last, with JavaScript on. The reply form there has no
// htmx of its own (its post would land on another page), and the page boosts its forms: htmx sent
// the boosted form marked as its own request, the server answered with the new post alone (what the
// last page's form appends), and that post took the place of the whole page.
describe('a reply from a page before the last, with JavaScript on', () => {
  const suite = browserSuite({ env: { POSTS_PER_PAGE: '2' } })

  it('goes to the new post on the last page, as a whole page', async () => {
    const page = await suite.page(true)
    const problems = watchProblems(page, suite.server.url)
    await page.goto('/identity')
    await page.waitForFunction(() => 'htmx' in window)
    await Promise.all([page.waitForURL((u) => u.pathname === '/identity'), page.getByRole('button', { name: 'Take a disposable identity' }).click()])
    await page.locator('code.fpr').waitFor()
    await page.goto('/c/lobby/general')
    await page.waitForFunction(() => 'htmx' in window)
    await page.locator('#title').fill('Three pages soon')
    await page.locator('#body').fill('one')
    await Promise.all([page.waitForURL(/\/t\/\d+/), page.getByRole('button', { name: 'Start thread' }).click()])
    const thread = new URL(page.url()).pathname
    for (const body of ['two', 'three']) {
      await page.goto(thread)
      await page.waitForFunction(() => 'htmx' in window)
      await page.locator('#reply-body').fill(body)
      await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Post reply' }).click()])
      await page.getByText(body, { exact: true }).waitFor()
    }
    // Page 1 of 2 now: its form is not the last page's.
    await page.goto(`${thread}?page=1`)
    await page.waitForFunction(() => 'htmx' in window)
    expect(await page.locator('#posts article').count()).toBe(2)
    await page.locator('#reply-body').fill('four, from page one')
    await Promise.all([page.waitForURL(/[?&]page=2#p4$/), page.getByRole('button', { name: 'Post reply' }).click()])
    expect(await page.locator('main h1').textContent()).toBe('Three pages soon')
    expect(await page.locator('#posts article').count()).toBe(2)
    expect(await page.locator('#p4').textContent()).toContain('four, from page one')
    expect(await page.locator('#reply-body').count()).toBe(1)
    expect(problems).toEqual([])
  })
})
