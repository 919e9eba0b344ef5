import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserSuite, waitInPage } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'

// A reader switches language from any page's foot, with JavaScript off and on; Arabic pages are
// right to left (the layout follows: the header's first item, the site's name, is at the right);
// and a burn forgets the choice, so the next identity does not arrive speaking the same rare
// language. Screenshots of the Arabic thread page (1280 and 390 px) are written to a temporary
// folder and looked at by size here (a blank page compresses to almost nothing).
describe('languages in a browser', () => {
  const suite = browserSuite()
  let tmp: string
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cellboard-lang-'))
  })
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  // The page's language is on <html> and on the element around the body's content: a boosted
  // (htmx) page swaps the body's content but keeps <html>, so what a boosted page says is there.
  const dirOfPage = (page: Page) =>
    page.evaluate(() => {
      const wrap = document.querySelector<HTMLElement>('body > .page')!
      return { lang: wrap.lang, dir: wrap.dir, main: getComputedStyle(document.querySelector('main')!).direction }
    })

  for (const js of [false, true]) {
    it(`JS ${js ? 'on' : 'off'}: switch to Arabic and Spanish from the foot, right to left in Arabic, forgotten by a burn`, async () => {
      const page = await suite.page(js)
      await page.goto('/identity')
      if (js) await page.waitForFunction(() => 'htmx' in window)
      await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/identity/disposable'), page.getByRole('button', { name: 'Take a disposable identity' }).click()])
      await page.locator('code.fpr').waitFor()
      await page.goto('/c/lobby/general')
      await page.getByLabel('Title').fill(`A thread read right to left ${js}`)
      await page.getByLabel(/^Text/).fill('مرحبا، this post mixes scripts >>1')
      await page.getByRole('button', { name: 'Start thread' }).click()
      await page.waitForURL(/\/t\/[0-9]+$/)
      await page.locator('article#p1').waitFor()
      const thread = new URL(page.url()).pathname
      expect(await dirOfPage(page)).toEqual({ lang: 'en', dir: 'ltr', main: 'ltr' })

      await page.getByRole('link', { name: 'العربية' }).click()
      await page.waitForURL((u) => u.pathname === thread)
      expect(await dirOfPage(page)).toEqual({ lang: 'ar', dir: 'rtl', main: 'rtl' })
      // The switch is a whole page load (not boosted): <html> says it too.
      expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl'])
      if (js) {
        // The Arabic page passes axe as the English ones do (tests/browser/axe.test.ts): no serious or critical violation.
        const { violations } = await new AxeBuilder({ page }).analyze()
        expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
      }
      // The mark on the reader's own post is in Arabic too (a CSS string, escaped, from the session's sheet).
      await waitInPage(page, () => [...document.styleSheets].some((s) => s.href?.includes('/identity/own-posts.css') && s.cssRules.length > 0))
      expect(await page.locator('#p1 > header > b').evaluate((el) => getComputedStyle(el, '::after').content)).toBe('" (أنت)"')
      // The header runs right to left: the site's name (first in the markup) sits at the right.
      const home = (await page.locator('header.top .home').boundingBox())!
      const width = page.viewportSize()!.width
      expect(home.x + home.width).toBeGreaterThan(width / 2)
      for (const w of [1280, 390]) {
        await page.setViewportSize({ width: w, height: 900 })
        const png = await page.screenshot({ fullPage: false })
        writeFileSync(join(tmp, `thread-ar-${w}-js-${js ? 'on' : 'off'}.png`), png)
        expect(png.length).toBeGreaterThan(10_000)
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0)
      }
      await page.setViewportSize({ width: 1280, height: 900 })

      await page.getByRole('link', { name: 'Español' }).click()
      await page.waitForURL((u) => u.pathname === thread)
      expect(await dirOfPage(page)).toEqual({ lang: 'es', dir: 'ltr', main: 'ltr' })
      // The choice holds on the next page, through a boosted link too.
      await page.goto('/')
      expect((await dirOfPage(page)).lang).toBe('es')
      const cookies = async () => (await page.context().cookies()).map((c) => c.name)
      expect(await cookies()).toContain('cb_lang')

      // A burn forgets the language with the identity.
      await page.goto('/identity')
      if (js) await page.waitForFunction(() => 'htmx' in window)
      await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/identity/burn'), page.locator('form[action="/identity/burn"] button').click()])
      await page.waitForURL((u) => u.pathname === '/identity' && u.search === '?burned=1')
      expect(await cookies()).not.toContain('cb_lang')
      expect((await dirOfPage(page)).lang).toBe('en')
    })
  }

  // An English page of a cell and a board named in Arabic: the breadcrumbs read "cell / board /"
  // from the left. Not isolated, the two names and the slash between them made one right-to-left
  // run, and the board's name came first (a new Arabic-speaking user's walkthrough). Each name is
  // isolated by the style sheet (style.css, .crumbs a), so it weighs nothing on the page.
  it('names in the other script keep their order in the breadcrumbs, at 1280 and 390 px', async () => {
    for (const args of [['cell', 'create', 'nahr', '--name', 'نهر الأردن'], ['board', 'create', 'nahr', 'suq', '--name', 'سوق الخضار']]) {
      const r = await runCli(args, suite.env)
      expect(r.status, r.stderr).toBe(0)
    }
    const page = await suite.page(false)
    await page.goto('/identity')
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.locator('code.fpr').waitFor()
    await page.goto('/c/nahr/suq')
    await page.getByLabel('Title').fill('Crumbs in order')
    await page.getByLabel(/^Text/).fill('the cell first, then the board')
    await page.getByRole('button', { name: 'Start thread' }).click()
    await page.waitForURL(/\/t\/[0-9]+$/)
    expect(await dirOfPage(page)).toEqual({ lang: 'en', dir: 'ltr', main: 'ltr' })
    for (const w of [1280, 390]) {
      await page.setViewportSize({ width: w, height: 900 })
      const cell = (await page.locator('nav.crumbs a[href="/c/nahr"]').boundingBox())!
      const board = (await page.locator('nav.crumbs a[href="/c/nahr/suq"]').boundingBox())!
      expect(cell.y).toBe(board.y) // one line
      expect(cell.x + cell.width).toBeLessThan(board.x)
      writeFileSync(join(tmp, `crumbs-${w}.png`), await page.screenshot())
    }
  })
})
