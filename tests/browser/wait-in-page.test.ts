import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, newContext, waitForHeading, waitInPage } from '../support/browser.ts'

// The browser tests' wait (tests/support/browser.ts waitInPage) against a page whose heading
// arrives late, as a page does on a loaded machine: the document is there, parsing, when the
// wait first looks. With JavaScript off, Playwright's own waitForFunction looked once and then
// waited out its timeout, and own-posts' JS-off test failed that way in 2 of 3 full runs.
describe('waiting for a page with JavaScript off', () => {
  let server: Server
  let browser: Browser
  let base: string
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.write(`<!doctype html><html><body><main><p>Still arriving</p>${' '.repeat(2048)}`)
      setTimeout(() => res.end('<h1>Arrived</h1></main></body></html>'), 1500)
    }).listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    server?.closeAllConnections()
    server?.close()
  })

  for (const js of [false, true]) {
    it(`JS ${js ? 'on' : 'off'}: sees a heading that arrives after the wait began, and says what the page shows when one never does`, async () => {
      const page = await (await newContext(browser, { js, baseURL: base })).newPage()
      await page.goto('/', { waitUntil: 'commit' })
      const t0 = Date.now()
      await waitForHeading(page, 'Arrived')
      expect(Date.now() - t0).toBeGreaterThan(500) // it did wait: the heading was not there yet
      expect(await page.locator('main h1').textContent()).toBe('Arrived')
      const never = await waitForHeading(page, 'Never', 400).then(() => 'seen', (e: Error) => e.message)
      expect(never).toMatch(/still false after 400 ms at http:\/\/127\.0\.0\.1:\d+\/[\s\S]*the page says:[\s\S]*Arrived/)
      // A check that cannot be made (a bug in it) fails at once, with its own error, not after the wait.
      const t1 = Date.now()
      const broken = await waitInPage(page, () => (null as unknown as { x: boolean }).x, '', 20_000).then(() => 'seen', (e: Error) => e.message)
      expect(broken).toMatch(/null|Cannot read/)
      expect(Date.now() - t1).toBeLessThan(10_000)
    })
  }
})
