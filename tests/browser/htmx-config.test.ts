import { describe, expect, it } from 'vitest'
import { browserSuite, watchProblems } from '../support/browser.ts'

// htmx's settings come in the file htmx is served in (src/http/static.ts), not in a <meta> on every
// page. In a real browser they are in force before htmx reads the page, and a boosted visit leaves
// no copy of a page in the browser's storage (what a browser keeps must not link two identities).
describe('htmx settings, in the browser', () => {
  const suite = browserSuite()

  it('are in force on load, and boosted navigation keeps no page snapshot', async () => {
    const page = await suite.page(true)
    const problems = watchProblems(page, suite.server.url)
    await page.goto('/c/lobby/general')
    await page.waitForFunction(() => 'htmx' in window)
    const config = await page.evaluate(() => {
      const c = (window as unknown as { htmx: { config: Record<string, unknown> } }).htmx.config
      return { history: c.historyCacheSize, evaluate: c.allowEval, scripts: c.allowScriptTags, styles: c.includeIndicatorStyles, self: c.selfRequestsOnly, settle: c.attributesToSettle }
    })
    expect(config).toEqual({ history: 0, evaluate: false, scripts: false, styles: false, self: true, settle: ['class', 'width', 'height'] })
    // htmx put in no style element of its own (the CSP would refuse it: a console error).
    expect(await page.locator('head style').count()).toBe(0)
    expect(await page.locator('meta[name="htmx-config"]').count()).toBe(0)

    // A boosted visit and back: nothing of the pages is kept in the browser's storage (htmx keeps
    // the tab's current path in sessionStorage, gone with the tab; no snapshot of any page).
    await page.getByRole('link', { name: 'Lobby' }).first().click()
    await page.waitForURL((u) => u.pathname === '/c/lobby')
    await page.goBack()
    await page.waitForURL((u) => u.pathname === '/c/lobby/general')
    const kept = await page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)])
    expect(kept.filter((k) => k !== 'htmx-current-path-for-history')).toEqual([])
    expect(problems).toEqual([])
  })
})
