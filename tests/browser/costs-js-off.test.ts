import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { type Puzzle } from '../../src/domain/costs.ts'
import { randomPuzzle } from '../../src/services/costs.ts'
import { browserSuite, watchProblems } from '../support/browser.ts'

// A cost for a new identity with JavaScript off (issue 11), as in Tor Browser's Safest mode: a
// picture of letters to type (a PNG: Safest mode shows no SVG), or a question to answer. The
// server runs in this process with its puzzles recorded, so the test knows what the picture says.
describe('the cost of an identity with JavaScript off', () => {
  const made: Puzzle[] = []
  const suite = browserSuite({
    env: { ABUSE_COSTS: 'on' },
    puzzles: () => {
      const p = randomPuzzle()
      made.push(p)
      return p
    },
  })

  async function visitor() {
    const page = await suite.page(false)
    const requests: string[] = []
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`))
    return { page, requests, problems: watchProblems(page, suite.server.url) }
  }

  /** The puzzle the identity form shows: made first of the page's two (then the login form's). */
  const shownPuzzle = () => made.at(-2)!

  const take = (page: Page) =>
    Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/disposable'),
      page.getByRole('button', { name: 'Take a disposable identity' }).click(),
    ]).then(([r]) => r)

  it('takes an identity by typing the picture’s letters, then posts; a wrong answer first gets a new picture; nothing from another host, no CSP errors', async () => {
    const { page, requests, problems } = await visitor()
    expect((await page.goto('/identity'))!.status()).toBe(200)
    const form = page.locator('form[action="/identity/disposable"]')
    const picture = form.locator('img')
    // The picture loaded: a PNG the browser could draw.
    await expect(picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).resolves.toBe(300)
    const first = shownPuzzle()
    expect(await form.textContent()).toContain(first.question)

    // A wrong answer: refused, with a new picture and question, and no identity.
    await form.getByLabel('Type the five letters and digits in the picture').fill('zzzzz')
    expect((await take(page)).status()).toBe(422)
    expect(await form.locator('[role=alert]').textContent()).toContain('That answer did not match')
    expect(await page.locator('main h1').textContent()).toBe('Take an identity')
    const second = shownPuzzle()
    expect(second).not.toBe(first)
    await expect(picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).resolves.toBe(300)

    // The right letters, typed in capitals with a space, as a person might.
    await form.getByLabel('Type the five letters and digits in the picture').fill(`${second.picture.slice(0, 2).toUpperCase()} ${second.picture.slice(2)}`)
    expect((await take(page)).status()).toBe(303)
    await page.waitForURL(/\/identity$/)
    expect(await page.locator('main h1').textContent()).toBe('Your identity')

    // And post.
    await page.goto('/c/lobby/general')
    const title = `Paid for with a picture ${Date.now()}`
    await page.fill('#title', title)
    await page.fill('#body', 'Typed the letters of a picture, with JavaScript off.')
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/c/lobby/general')),
      page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(started.status()).toBe(303)
    await page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
    expect(await page.locator('h1').textContent()).toBe(title)

    // The pictures came from this server; no script ran, so no solver was fetched.
    const origin = new URL(suite.server.url).origin
    expect(requests.filter((r) => new URL(r.split(' ')[1]!).origin !== origin)).toEqual([])
    expect(requests.filter((r) => /\/cost\/[A-Za-z0-9_-]{56}\.png$/.test(r)).length).toBeGreaterThanOrEqual(2)
    expect(requests.filter((r) => /\/static\/(pow|altcha)/.test(r))).toEqual([])
    // The refusal's 422 is the server's answer (the browser notes its status); nothing else went wrong.
    expect(problems.filter((p) => !/status of 422 .*\/identity\/disposable/.test(p))).toEqual([])
  })

  it('takes an identity by answering the question instead', async () => {
    const { page, problems } = await visitor()
    await page.goto('/identity')
    const form = page.locator('form[action="/identity/disposable"]')
    const shown = shownPuzzle()
    await form.getByLabel(/Or answer this question/).fill(String(shown.answer))
    expect((await take(page)).status()).toBe(303)
    await page.waitForURL(/\/identity$/)
    expect(await page.locator('main h1').textContent()).toBe('Your identity')
    expect(problems).toEqual([])
  })
})
