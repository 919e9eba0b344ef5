import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
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

// Issue 14: axe-core over every page type, with JavaScript off and on, finds no serious or
// critical violation. The content is built through the pages themselves (as in
// narrow-screens.test.ts): a thread long enough for a second page, an open question, a decision
// with a signed ballot, a cell key rotated once. Then each page type is checked in each state a
// reader meets it in: without an identity, and as a voter (forms, previews, a refused form, the
// ballot to sign, the inbox).
describe('accessibility: axe finds no serious or critical violation on any page type', () => {
  // Two posts a page, so a thread of four has a page 2.
  const suite = browserSuite({ env: { POSTS_PER_PAGE: '2' } })
  let tmp: string
  const pages: Record<string, string> = {}

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cellboard-axe-'))
  })
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  /** The operator CLI, against the running server's data (the same SQLite file or database). */
  const cli = (args: string[]) => runCli(args, suite.env)

  /** The serious and critical violations on the page as it stands, one readable line per rule. */
  async function violations(page: Page, name: string): Promise<string[]> {
    const { violations } = await new AxeBuilder({ page }).analyze()
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}) on ${name}: ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`)
  }

  /**
   * A page with JavaScript on or off. axe runs as a script in the page, and in a context with
   * JavaScript disabled its run never finishes (chromium runs none of its timers), so "off" is a
   * context with JavaScript allowed but every script the pages load refused: the pages run none of
   * their own (no htmx, no browser key), forms post as they do without JavaScript, and axe can run.
   * (The pages have no inline scripts: the CSP allows none, and with abuse costs off no <noscript>.)
   */
  async function open(js: boolean): Promise<Page> {
    const page = await suite.page(true)
    if (!js) await page.context().route(/\.m?js(\?|$)/, (r) => r.abort())
    return page
  }

  /** A page whose context holds a fresh disposable identity, on the cell's roster as a voter. */
  async function voter(js: boolean): Promise<Page> {
    const page = await open(js)
    await page.goto('/identity')
    if (js) await page.waitForFunction(() => 'htmx' in window)
    await Promise.all([page.waitForURL((u) => u.pathname === '/identity'), page.getByRole('button', { name: 'Take a disposable identity' }).click()])
    await page.locator('code.fpr').waitFor()
    const armored = await (await page.context().request.get('/identity/public-key.asc')).text()
    const file = join(tmp, `voter-${js ? 'on' : 'off'}-${Date.now()}.asc`)
    writeFileSync(file, armored)
    const added = await cli(['roster', 'add', 'lobby', file, '--role', 'voter'])
    expect(added.status, added.stderr).toBe(0)
    return page
  }

  it('builds the content through the pages themselves (JS off)', async () => {
    const page = await voter(false)
    await page.goto('/c/lobby/general')
    await page.locator('#title').fill('A thread to check')
    await page.locator('#body').fill('Some *text*, a [link](https://example.org/) and\n\n```\ncode\n```')
    await page.getByRole('button', { name: 'Start thread' }).click()
    await page.waitForURL(/\/t\/\d+/)
    pages.thread = new URL(page.url()).pathname
    for (const text of ['>>1 a reply', '- a list\n- of two\n\n> a quote', 'A fourth post.']) {
      await page.locator('#reply-body').fill(text)
      await page.getByRole('button', { name: 'Post reply' }).click()
      await page.waitForURL(/#p\d+$/)
    }
    pages.threadPage2 = `${pages.thread}?page=2`

    const thread = pages.thread.split('/').pop()!
    await page.goto(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=1`)
    await page.locator('#argument').fill('It says nothing.')
    await page.getByRole('button', { name: 'Raise the question' }).click()
    await page.waitForURL(/\/questions\/\d+$/)
    pages.openQuestion = new URL(page.url()).pathname
    // A second question, decided by this voter alone (the only one yet): its page shows the signed ballot.
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

    // A cell key, rotated once: letters can be written, and the transitions page has a statement.
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
  })

  const PUBLIC = ['/', '/c/lobby', '/c/lobby/general', 'thread', 'threadPage2', '/c/lobby/line', '/c/lobby/questions', 'openQuestion', 'decision', '/c/lobby/decisions', '/privacy', '/identity',
    '/c/lobby/questions/new?kind=remove_post', '/search?q=text', '/c/lobby/search?q=text', '/c/lobby/letters/new', '/c/lobby/key-transitions', '/questions',
    // The error pages: a 404, and a refused search (422) with the form and its reason.
    '/c/lobby/general/t/999999', '/search?q=%21%21']
  const EXPECTED_ERRORS = ['/c/lobby/general/t/999999: 404', '/search?q=%21%21: 422']

  // About 1 s of axe a page: 20 s a test on a quiet machine, but up to 85 s seen with other suites
  // sharing the two cores, close to the usual 90 s.
  const SLOW = 180_000

  for (const js of [false, true]) {
    const on = js ? 'JS on' : 'JS off'

    it(`every page type without an identity, ${on}`, async () => {
      const page = await open(js)
      const found: string[] = []
      const errors: string[] = []
      for (const name of PUBLIC) {
        const path = pages[name] ?? name
        const status = (await page.goto(path))!.status()
        if (status !== 200) errors.push(`${path}: ${status}`)
        if (js) await page.waitForFunction(() => 'htmx' in window)
        found.push(...(await violations(page, `${path} (${on})`)))
      }
      // A letter sent: the page that gives its reference.
      await page.goto('/c/lobby/letters/new')
      if (js) await page.waitForFunction(() => 'htmx' in window)
      await page.locator('#letter-text').fill('Dear cell, a letter.')
      await page.getByRole('button', { name: 'Encrypt and send' }).click()
      await page.locator('.letter-reference code').waitFor()
      found.push(...(await violations(page, `letter sent (${on})`)))
      expect(found, found.join('\n')).toEqual([])
      // Each page is the page meant (a mistyped address would check only the error page).
      expect(errors).toEqual(EXPECTED_ERRORS)
    }, SLOW)

    it(`the pages a voter sees: forms, previews, a refused form, the ballot to sign, the inbox, ${on}`, async () => {
      const page = await voter(js)
      const found: string[] = []
      const check = async (name: string) => found.push(...(await violations(page, `${name} (${on})`)))
      const settled = async () => {
        if (js) await page.waitForFunction(() => 'htmx' in window)
      }
      for (const path of ['/identity', '/c/lobby', '/c/lobby/general', pages.thread!, pages.threadPage2!, '/c/lobby/questions/new?kind=remove_post', pages.openQuestion!, '/questions', '/search?q=text', '/c/lobby/letters', '/c/lobby/letters/new']) {
        expect((await page.goto(path))!.status(), path).toBe(200)
        await settled()
        await check(path)
      }

      // The new thread's preview, then the same form refused (422: a body of invisible characters).
      await page.goto('/c/lobby/general')
      await settled()
      await page.locator('#title').fill('Previewed')
      await page.locator('#body').fill('Seen *before* posting.')
      await page.getByRole('button', { name: 'Preview' }).click()
      await page.locator('#new-thread-preview section.preview em').waitFor()
      await check('new thread preview')
      await page.locator('#body').fill('\u200b')
      await page.getByRole('button', { name: 'Start thread' }).click()
      await page.locator('main .form-error, main .field-error').first().waitFor()
      await check('new thread refused (422)')

      // A reply's preview.
      await page.goto(pages.thread!)
      await settled()
      await page.locator('#reply-body').fill('A reply, *previewed*.')
      await page.getByRole('button', { name: 'Preview' }).click()
      await page.locator('#reply-preview section.preview em').waitFor()
      await check('reply preview')

      // The ballot to sign, on a question raised now (one raised before this voter was on the
      // roster is not theirs to vote on).
      await page.goto(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${pages.thread!.split('/').pop()}&number=${js ? 4 : 3}`)
      await settled()
      await page.locator('#argument').fill('Vote on this one.')
      await page.getByRole('button', { name: 'Raise the question' }).click()
      await page.waitForURL(/\/questions\/\d+$/)
      await settled()
      await check('a question, with its ballot form')
      await page.getByLabel('yes', { exact: true }).check()
      await page.getByRole('button', { name: 'Review the ballot' }).click()
      await page.getByRole('button', { name: 'Sign and cast' }).waitFor()
      await check('ballot to sign')

      expect(found, found.join('\n')).toEqual([])
    }, SLOW)
  }
})
