import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { groupedFingerprint } from '../../src/domain/letters.ts'
import { rotateCellKey } from '../../src/services/key-transitions.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { browserSuite } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'
import { clearsignWith } from '../support/keys.ts'
import { cellKeyPair } from '../support/letters.ts'
import { TEST_SETTINGS } from '../support/settings.ts'

// No page may scroll sideways on a phone (390 px): long titles, unbroken words, fingerprints,
// signature blocks and challenges wrap. Every page type is measured with JavaScript off and on,
// with the content that made pages wide before: a 158-character unbroken title, a long word in a
// post, a decision with signed ballots, operator actions naming fingerprints.
describe('narrow screens: no page scrolls sideways at 390 px', () => {
  const suite = browserSuite()
  let tmp: string
  const pages: Record<string, string> = {}

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cellboard-narrow-'))
  })
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  /** The operator CLI, against the running server's data (the same SQLite file or database). */
  const cli = (args: string[]) => runCli(args, suite.env)

  /** How much wider than the window the page is, in CSS pixels (0: it does not scroll sideways). */
  const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)

  async function narrow(js: boolean): Promise<Page> {
    const page = await suite.page(js)
    await page.setViewportSize({ width: 390, height: 844 })
    return page
  }

  it('builds the wide content through the pages themselves (JS off)', async () => {
    const page = await narrow(false)
    await page.goto('/identity')
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.waitForURL((u) => u.pathname === '/identity')
    const armored = await (await page.context().request.get('/identity/public-key.asc')).text()
    const file = join(tmp, 'voter.asc')
    writeFileSync(file, armored)
    const added = await cli(['roster', 'add', 'lobby', file, '--role', 'voter'])
    expect(added.status, added.stderr).toBe(0)

    await page.goto('/c/lobby/general')
    const title = 'A'.repeat(158)
    await page.locator('#title').fill(title)
    await page.locator('#body').fill(`${'Unbroken'.repeat(30)}\n\n\`\`\`\n${'code '.repeat(60)}\n\`\`\``)
    await page.getByRole('button', { name: 'Start thread' }).click()
    await page.waitForURL(/\/t\/\d+/)
    pages.thread = new URL(page.url()).pathname
    // A list nested 40 deep, as a post may hold.
    const nested = Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}- level ${i + 1}`).join('\n')
    await page.locator('#reply-body').fill(`>>1 ${'x'.repeat(300)}\n\n${nested}`)
    await page.getByRole('button', { name: 'Post reply' }).click()
    await page.waitForURL(/#p2$/)

    const thread = pages.thread.split('/').pop()!
    await page.goto(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=1`)
    await page.locator('#argument').fill(`It says ${'nothing'.repeat(40)}`)
    await page.getByRole('button', { name: 'Raise the question' }).click()
    await page.waitForURL(/\/questions\/\d+$/)
    pages.openQuestion = new URL(page.url()).pathname
    // A second question, decided by this (only) voter: its page shows the signed ballot.
    await page.goto(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=2`)
    await page.locator('#argument').fill('Decide this one.')
    await page.getByRole('button', { name: 'Raise the question' }).click()
    await page.waitForURL(/\/questions\/\d+$/)
    pages.decision = new URL(page.url()).pathname
    await page.getByLabel('no', { exact: true }).check()
    await page.getByRole('button', { name: 'Review the ballot' }).click()
    await page.getByRole('button', { name: 'Sign and cast' }).click()
    await page.waitForURL((u) => u.pathname === pages.decision)
    expect(await page.locator('main').textContent()).toContain('Decision: Rejected')
    expect(await page.locator('main pre').first().textContent()).toContain('-----BEGIN PGP SIGNATURE-----')

    // A cell key, rotated once (as the operator's commands do, through the same composition root):
    // the letter form names the key, and the transitions page shows a clearsigned statement.
    const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...suite.env }), { poolSize: 1, forgetAfterMigrating: false })
    try {
      const first = await cellKeyPair()
      await setCellKey(deps, { cell: 'lobby', armoredKey: first.publicKey })
      const next = await cellKeyPair()
      const statement = await clearsignWith(first.privateKey, `The key of the cell "lobby" changes.\nNew key: ${groupedFingerprint(next.fingerprint)}\n`)
      await rotateCellKey(deps, { cell: 'lobby', armoredKey: next.publicKey, statement })
    } finally {
      await close()
    }
    await page.goto('/c/lobby/key-transitions')
    expect(await page.locator('main').textContent()).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
  })

  // Search finds the post with the unbroken word; a long unbroken query is echoed back in the form.
  const SEARCH = ['/search?q=Unbroken', `/search?q=${'Unbroken'.repeat(20)}`, '/c/lobby/search?q=Unbroken']
  const PUBLIC = ['/', '/c/lobby', '/c/lobby/general', 'thread', '/c/lobby/line', '/c/lobby/questions', 'openQuestion', 'decision', '/c/lobby/decisions', '/privacy', '/identity', '/c/lobby/general/t/999999', '/c/lobby/questions/new?kind=remove_post',
    ...SEARCH, '/c/lobby/letters/new', '/c/lobby/letters', '/c/lobby/key-transitions', '/questions']
  const ERROR_PAGES = ['/c/lobby/general/t/999999: 404', '/c/lobby/letters: 404']
  for (const js of [false, true]) {
    it(`every page type, without an identity, JavaScript ${js ? 'on' : 'off'}`, async () => {
      const page = await narrow(js)
      const wide: string[] = []
      const errors: string[] = []
      for (const name of PUBLIC) {
        const path = pages[name] ?? name
        const status = (await page.goto(path))!.status()
        if (status !== 200) errors.push(`${path}: ${status}`)
        const px = await overflow(page)
        if (px > 0) wide.push(`${path}: ${px} px too wide`)
      }
      expect(wide).toEqual([])
      // A post's time stays on one line (it wrapped between the date and the hour).
      await page.goto(pages.thread!)
      const times = await page.evaluate(() => [...document.querySelectorAll('.post time')].map((t) => t.getClientRects().length))
      expect(times.length).toBeGreaterThan(0)
      expect(times.filter((n) => n !== 1)).toEqual([])
      // Each page is the page meant (a mistyped address would measure only the error page), and
      // the error page is measured too.
      expect(errors).toEqual(ERROR_PAGES)
    })

    it(`the pages with forms, holding an identity, JavaScript ${js ? 'on' : 'off'}`, async () => {
      const page = await narrow(js)
      await page.goto('/identity')
      await page.getByRole('button', { name: 'Take a disposable identity' }).click()
      await page.waitForURL((u) => u.pathname === '/identity')
      const wide: string[] = []
      for (const path of ['/identity', '/c/lobby/general', pages.thread!, '/c/lobby/questions/new?kind=remove_post', pages.openQuestion!, '/questions', ...SEARCH, '/c/lobby/letters/new']) {
        await page.goto(path)
        const px = await overflow(page)
        if (px > 0) wide.push(`${path}: ${px} px too wide`)
      }
      expect(wide).toEqual([])
      // The raise form's principle is as wide as the form's fields, in the page's own font size
      // (CSS alone; with JavaScript on the identity above may still be on its way, and the form with it).
      if (!js) {
        await page.goto('/c/lobby/questions/new?kind=remove_post')
        const [select, field] = await Promise.all(['#principle', '#board'].map((s) => page.locator(s).evaluate((e) => ({ width: e.getBoundingClientRect().width, font: getComputedStyle(e).fontSize }))))
        expect(select!.width).toBe(field!.width)
        expect(select!.font).toBe('16px')
      }
    })
  }
})
