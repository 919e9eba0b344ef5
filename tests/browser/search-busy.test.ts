import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SEARCHES_AT_ONCE, SEARCHES_WAITING } from '../../src/domain/search.ts'
import { makeBoard } from '../support/app.ts'
import { holdSearches } from '../support/held-searches.ts'
import { launchBrowser, newContext, watchProblems } from '../support/browser.ts'

// A person searching while a crowd of searches fills the node (tests/http/search-crowd.test.ts):
// with JavaScript off and on, the page says beside the field that searching is busy, keeps the
// words in it, and the same button works once the crowd has gone. The crowd is held inside the
// storage (real searches, run once released), in this process, so that it is there for certain.

type Board = Awaited<ReturnType<typeof makeBoard>>
let board: Board
let browser: Browser
let url: string
let stop: () => Promise<void>

beforeAll(async () => {
  board = await makeBoard()
  const member = board.client()
  await member.takeIdentity()
  await member.get('/c/lobby/general')
  expect((await member.post('/c/lobby/general', { title: 'Harbour notes', body: 'The quillwort harbour opens at dawn' })).res.status).toBe(303)
  const http = serve({ fetch: board.app.fetch, hostname: '127.0.0.1', port: 0 })
  await once(http, 'listening')
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  stop = async () => {
    ;(http as import('node:http').Server).closeAllConnections()
    await new Promise((r) => http.close(r))
  }
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await stop?.()
  await board?.close()
})

/** Fill the node's searches (running and waiting) with held ones; release() lets them finish. */
async function crowd() {
  const held = holdSearches(board.deps)
  const n = SEARCHES_AT_ONCE + SEARCHES_WAITING
  const sent = Array.from({ length: n }, () => fetch(`${url}/search?q=harbour`))
  await vi.waitFor(() => expect([board.deps.searches.load, held.entered()]).toEqual([{ running: SEARCHES_AT_ONCE, waiting: SEARCHES_WAITING }, SEARCHES_AT_ONCE]), { timeout: 10_000, interval: 10 })
  return async () => {
    held.release()
    for (const r of await Promise.all(sent)) expect(r.status).toBe(200)
    held.restore()
  }
}

describe('searching while the node is busy with searches', () => {
  for (const js of [false, true]) {
    it(`JavaScript ${js ? 'on' : 'off'}: told beside the field, words kept; the same button works once the crowd has gone`, async () => {
      const context = await newContext(browser, { js, baseURL: url })
      const page = await context.newPage()
      const problems = watchProblems(page, url, { warnings: false })
      await page.goto('/search')
      if (js) await page.waitForFunction(() => 'htmx' in window)
      const done = await crowd()
      try {
        const field = page.locator('main input[name="q"]')
        await field.fill('quillwort')
        const answer = page.waitForResponse((r) => r.url().includes('/search?q=quillwort'))
        await page.locator('main form[role="search"] button[type="submit"]').click()
        expect((await answer).status()).toBe(503)
        // With JavaScript on, htmx asked (the boosted form), and the answer was swapped in.
        expect((await answer).request().headers()['hx-request']).toBe(js ? 'true' : undefined)
        const why = page.locator('main #search-q-problem')
        await why.waitFor()
        expect(await why.textContent()).toContain('Too many searches are running')
        expect(await page.locator('main input[name="q"]').inputValue()).toBe('quillwort')
        expect(await page.locator('main input[name="q"]').getAttribute('aria-invalid')).toBe('true')
        expect(await page.locator('#results').count()).toBe(0)
      } finally {
        await done()
      }
      await page.locator('main form[role="search"] button[type="submit"]').click()
      await page.locator('#results mark').first().waitFor()
      expect(await page.locator('#results mark').first().textContent()).toBe('quillwort')
      expect(await page.locator('main #search-q-problem').count()).toBe(0)
      // A 503 is not a problem of the page; anything else the console says is.
      expect(problems.filter((p) => !p.includes('503'))).toEqual([])
      await context.close()
    })
  }
})
