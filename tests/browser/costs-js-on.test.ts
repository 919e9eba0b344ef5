import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { Puzzle } from '../../src/domain/costs.ts'
import { randomPuzzle } from '../../src/services/costs.ts'
import { browserSuite, watchProblems } from '../support/browser.ts'

// A cost for a new identity with JavaScript on (issue 11): the page solves the proof of work by
// itself, at the default difficulty, and a submit waits for it; the person does nothing. Against
// the real server with ABUSE_COSTS=on.
describe('the cost of an identity with JavaScript on', () => {
  const suite = browserSuite({ env: { ABUSE_COSTS: 'on' } })

  /** A page that records every request (method, address, body) and everything that goes wrong in it. */
  async function visitor() {
    const page = await suite.page(true)
    const sent: { method: string; url: string; body: string | null }[] = []
    page.on('request', (r) => sent.push({ method: r.method(), url: r.url(), body: r.postData() }))
    return { page, sent, problems: watchProblems(page, suite.server.url) }
  }

  const h1 = (page: Page) => page.locator('main h1').textContent()
  const ready = (page: Page) => page.waitForFunction(() => 'htmx' in window)
  const solutionOf = (page: Page, action: string) => page.locator(`form[action="${action}"] input[name="cost_solution"]`).inputValue()
  const posted = (sent: { method: string; url: string; body: string | null }[], path: string) =>
    sent.filter((s) => s.method === 'POST' && new URL(s.url).pathname === path).map((s) => new URLSearchParams(s.body ?? ''))

  it('takes an identity with the proof of work solved by the page (the click waits for it), then posts; nothing from another host, no CSP errors', async () => {
    const { page, sent, problems } = await visitor()
    // The solver's module is held back until the button was clicked, so the click surely comes first.
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    await page.route('**/static/altcha/pow.js', async (route) => {
      await held
      await route.continue()
    })
    expect((await page.goto('/identity'))!.status()).toBe(200)
    await ready(page)
    // It says what it does, and the picture (for JavaScript off) is never fetched.
    const status = page.locator('form[action="/identity/disposable"] .cost-status')
    await expect(status.textContent()).resolves.toMatch(/short check/)
    expect(await page.locator('form[action="/identity/disposable"] img').count()).toBe(0)

    // Clicked before the check is done: the form waits, says so, and goes once the solution is in.
    expect(await solutionOf(page, '/identity/disposable')).toBe('')
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.waitForFunction(() => /Sending as soon as the check is done/.test(document.querySelector('form[action="/identity/disposable"] .cost-status')?.textContent ?? ''))
    expect(posted(sent, '/identity/disposable')).toHaveLength(0)
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/disposable')
    release()
    const taken = await response
    expect(taken.status()).toBe(303)
    expect(taken.request().headers()['hx-request']).toBe('true')
    const [body] = posted(sent, '/identity/disposable')
    expect(body!.get('cost_solution')).toMatch(/^[0-9]+:[0-9a-f]{64}$/)
    expect(body!.get('cost_pow')).toMatch(/^[A-Za-z0-9_-]+$/)
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Your identity')

    // And post, as anyone holding an identity does.
    await page.goto('/c/lobby/general')
    await ready(page)
    const title = `Paid for with a proof of work ${Date.now()}`
    await page.fill('#title', title)
    await page.fill('#body', 'The identity that wrote this cost its browser a second of work.')
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/general'),
      page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(started.status()).toBe(303)
    await page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
    expect(await h1(page)).toBe(title)

    // Everything came from this server: the solver and its worker too.
    const origin = new URL(suite.server.url).origin
    const paths = sent.map((s) => new URL(s.url).pathname)
    expect(paths).toEqual(expect.arrayContaining(['/static/app.js', '/static/pow-worker.js', '/static/altcha/pow.js', '/static/altcha/algorithms/web/pbkdf2.js']))
    expect(paths.filter((p) => p.startsWith('/cost/'))).toEqual([])
    expect(sent.filter((s) => new URL(s.url).origin !== origin).map((s) => s.url)).toEqual([])
    expect(problems).toEqual([])
  })

  it('a refused solution comes back (htmx) with a fresh challenge, which the page solves again; then it goes', async () => {
    const { page, sent, problems } = await visitor()
    await page.goto('/identity')
    await ready(page)
    await page.waitForFunction(() => (document.querySelector('form[action="/identity/disposable"] input[name="cost_solution"]') as HTMLInputElement).value !== '')
    const first = await solutionOf(page, '/identity/disposable')
    // A wrong key in place of the solution: the server refuses it.
    await page.locator('form[action="/identity/disposable"] input[name="cost_solution"]').evaluate((i: HTMLInputElement, v) => (i.value = v), first.replace(/:.*/, `:${'0'.repeat(64)}`))
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/disposable'),
      page.getByRole('button', { name: 'Take a disposable identity' }).click(),
    ])
    expect(refused.status()).toBe(422)
    const alert = page.locator('form[action="/identity/disposable"] [role=alert]')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('was not accepted')
    // The swapped-in form has a new challenge; the page solves it by itself.
    await page.waitForFunction(() => (document.querySelector('form[action="/identity/disposable"] input[name="cost_solution"]') as HTMLInputElement).value !== '')
    expect(await solutionOf(page, '/identity/disposable')).not.toBe(first)
    const [taken] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/disposable'),
      page.getByRole('button', { name: 'Take a disposable identity' }).click(),
    ])
    expect(taken.status()).toBe(303)
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Your identity')
    expect(posted(sent, '/identity/disposable')).toHaveLength(2)
    // The 422 is the server's answer, not a problem of the page; nothing else went wrong.
    expect(problems.filter((p) => !/status of 422/.test(p))).toEqual([])
  })

  it('a browser key’s first login carries the solution of the login form’s check', async () => {
    const { page, sent, problems } = await visitor()
    await page.goto('/identity')
    await ready(page)
    const panel = page.locator('#browser-key')
    await panel.getByRole('button', { name: 'Create a browser key' }).click()
    await page.waitForFunction(() => /^[0-9a-f]{40,64}$/i.test(document.querySelector('#browser-key .bk-fpr')?.textContent ?? ''))
    const [login] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/login'),
      panel.getByRole('button', { name: 'Log in with the browser key' }).click(),
    ])
    expect(login.status()).toBe(303)
    const [body] = posted(sent, '/identity/login')
    expect(body!.get('via')).toBe('browser')
    expect(body!.get('cost_solution')).toMatch(/^[0-9]+:[0-9a-f]{64}$/)
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Your identity')
    expect(await page.locator('main').textContent()).toContain('browser key')
    expect(problems).toEqual([])
  })
})

// Where the proof of work cannot run (no WebCrypto outside a secure context, a solver that fails to
// load), the page shows the picture and question meant for JavaScript off, and the form goes with
// an answer. The server runs in this process with its puzzles recorded, so the test knows them.
describe('the cost of an identity with JavaScript on, where the proof of work cannot run', () => {
  const made: Puzzle[] = []
  const suite = browserSuite({
    env: { ABUSE_COSTS: 'on' },
    puzzles: () => {
      const p = randomPuzzle()
      made.push(p)
      return p
    },
  })

  it('shows the picture and the question instead, and takes the identity with an answer', async () => {
    const page = await suite.page(true)
    const problems = watchProblems(page, suite.server.url)
    await page.route('**/static/altcha/pow.js', (route) => route.abort())
    await page.goto('/identity')
    await page.waitForFunction(() => 'htmx' in window)
    const form = page.locator('form[action="/identity/disposable"]')
    await expect(form.locator('.cost-status').textContent()).resolves.toMatch(/short check|could not do the check/)
    const answer = form.getByLabel(/Or answer this question/)
    await answer.waitFor()
    expect(await form.locator('.cost-status').textContent()).toContain('Your browser could not do the check by itself')
    await expect(form.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).resolves.toBe(300)
    const shown = made.at(-2)!
    expect(await form.textContent()).toContain(shown.question)
    await answer.fill(String(shown.answer))
    const [taken] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/disposable'),
      page.getByRole('button', { name: 'Take a disposable identity' }).click(),
    ])
    expect(taken.status()).toBe(303)
    expect(new URLSearchParams(taken.request().postData() ?? '').get('cost_solution')).toBe('')
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Your identity')
    // The solver that was refused to load is the page's only failure.
    expect(problems.filter((p) => !/altcha\/pow\.js|Failed to fetch dynamically imported module/.test(p))).toEqual([])
  })
})
