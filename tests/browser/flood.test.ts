import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { type Puzzle } from '../../src/domain/costs.ts'
import { randomPuzzle } from '../../src/services/costs.ts'
import { browserSuite, watchProblems } from '../support/browser.ts'

// Flood mode in a browser (issue 11): a board past FLOOD_POSTS_PER_MINUTE (2 here) says so, and
// each post there asks for the check. With JavaScript on the page pays it by itself, also for the
// form htmx swaps in after a reply; with it off the person answers the question beside the picture.
const FLOOD = { ABUSE_COSTS: 'on', FLOOD_POSTS_PER_MINUTE: '2' }
const banner = (page: Page) => page.locator('.notice.flood')
const reply = (page: Page) =>
  Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && /\/t\/\d+$/.test(new URL(r.url()).pathname)),
    page.getByRole('button', { name: 'Post reply' }).click(),
  ]).then(([r]) => r)

/** Start a thread on lobby/general and reply until the board is in flood; the thread's address. */
async function floodTheBoard(page: Page, send: () => Promise<unknown>): Promise<string> {
  await page.goto('/c/lobby/general')
  await page.fill('#title', `Busy thread ${Date.now()}`)
  await page.fill('#body', 'The first post.')
  await send()
  await page.waitForURL(/\/t\/\d+$/)
  const thread = new URL(page.url()).pathname
  for (let i = 0; i < 4 && (await banner(page).count()) === 0; i++) {
    await page.fill('#reply-body', `Reply ${i} before the flood.`)
    expect((await reply(page)).status()).toBeLessThan(400)
    await page.goto(thread)
  }
  expect(await banner(page).textContent()).toMatch(/getting many posts/)
  return thread
}

describe('flood mode with JavaScript on', () => {
  const suite = browserSuite({ env: FLOOD })

  it('the page pays each post’s check by itself, again for the form htmx swaps in; nothing from another host', async () => {
    const page = await suite.page(true)
    const problems = watchProblems(page, suite.server.url)
    const sent: URLSearchParams[] = []
    const pictures: string[] = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/cost/')) pictures.push(r.url())
      if (r.method() === 'POST' && /\/t\/\d+$/.test(new URL(r.url()).pathname)) sent.push(new URLSearchParams(r.postData() ?? ''))
    })
    await page.goto('/identity')
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Your identity')
    const thread = await floodTheBoard(page, () => page.getByRole('button', { name: 'Start thread' }).click())
    expect(new URL(page.url()).pathname).toBe(thread)
    for (const text of ['First reply in the flood, paid by the page.', 'Second, on the form htmx swapped in.']) {
      await page.fill('#reply-body', text)
      expect((await reply(page)).status()).toBe(200)
      await page.getByText(text).first().waitFor()
      expect(sent.at(-1)!.get('cost_solution')).toMatch(/^[0-9]+:[0-9a-f]{64}$/)
    }
    // The picture is for pages without JavaScript: not fetched here, also not from the <noscript>
    // of a form htmx swapped in (htmx parses responses where no script runs).
    expect(pictures).toEqual([])
    expect(problems).toEqual([])
  })
})

describe('flood mode with JavaScript off', () => {
  const made: Puzzle[] = []
  const suite = browserSuite({
    env: FLOOD,
    puzzles: () => {
      const p = randomPuzzle()
      made.push(p)
      return p
    },
  })

  it('the reply form shows the picture and the question; a wrong answer keeps the text, the right one posts', async () => {
    const page = await suite.page(false)
    const problems = watchProblems(page, suite.server.url)
    await page.goto('/identity')
    const identity = page.locator('form[action="/identity/disposable"]')
    await identity.getByLabel(/Or answer this question/).fill(String(made.at(-2)!.answer))
    await identity.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.waitForURL(/\/identity$/)
    expect(await page.locator('main h1').textContent()).toBe('Your identity')
    const start = () => page.getByRole('button', { name: 'Start thread' }).click()
    await floodTheBoard(page, start)

    const form = page.locator('form:has(#reply-body)')
    await expect(form.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).resolves.toBe(300)
    const text = 'A reply in the flood, answered by hand.'
    await page.fill('#reply-body', text)
    await form.getByLabel(/Or answer this question/).fill(String(made.at(-1)!.answer + 1))
    expect((await reply(page)).status()).toBe(422)
    expect(await form.locator('[role=alert]').first().textContent()).toMatch(/did not match/)
    expect(await page.locator('#reply-body').inputValue()).toBe(text)
    await form.getByLabel(/Or answer this question/).fill(String(made.at(-1)!.answer))
    expect((await reply(page)).status()).toBe(303)
    await page.getByText(text).first().waitFor()
    // The refusal's 422 is the server's answer (the browser notes its status); nothing else went wrong.
    expect(problems.filter((p) => !/status of 422 .*\/t\/\d+(#reply)?\)/.test(p))).toEqual([])
  })
})
