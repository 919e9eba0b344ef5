import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite, watchProblems } from '../support/browser.ts'

// Issue 14, "Preview before posting", in a real browser: with JavaScript off the Preview button
// sends the form to the preview address and the page comes back with the post shown and the form
// below it, text kept; with it on, the preview appears in the form and nothing else moves.
describe('preview before posting', () => {
  const suite = browserSuite()

  async function withIdentity(js: boolean): Promise<Page> {
    const page = await suite.page(js)
    await page.goto('/identity')
    if (js) await page.waitForFunction(() => 'htmx' in window)
    await Promise.all([page.waitForURL((u) => u.pathname === '/identity'), page.getByRole('button', { name: 'Take a disposable identity' }).click()])
    await page.locator('code.fpr').waitFor()
    await page.goto('/c/lobby/general')
    if (js) await page.waitForFunction(() => 'htmx' in window)
    return page
  }

  it('JavaScript off: Preview shows the post above the form, keeps the text, stores nothing; then it posts', async () => {
    const page = await withIdentity(false)
    const title = `Previewed off ${Date.now()}`
    await page.locator('#title').fill(title)
    await page.locator('#body').fill('Seen *before* posting.')
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Preview' }).click()])
    expect(res.status()).toBe(200)
    expect(new URL(page.url()).pathname).toBe('/c/lobby/general/preview')
    const preview = page.locator('#new-thread-preview section.preview')
    await expect.poll(() => preview.locator('em').textContent()).toBe('before')
    expect(await preview.textContent()).toContain(title)
    expect(await page.locator('#title').inputValue()).toBe(title)
    expect(await page.locator('#body').inputValue()).toBe('Seen *before* posting.')
    // Not posted: the board lists no such thread.
    expect(await page.locator('#threads').textContent()).not.toContain(title)
    // The preview and its form come before the list of threads, not after it.
    expect(await page.evaluate(() => Boolean(document.querySelector('#new-thread')!.compareDocumentPosition(document.querySelector('#threads')!) & Node.DOCUMENT_POSITION_FOLLOWING))).toBe(true)

    await Promise.all([page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/), page.getByRole('button', { name: 'Start thread' }).click()])
    expect(await page.locator('main h1').textContent()).toBe(title)
    expect(await page.locator('#posts article em').first().textContent()).toBe('before')

    // A reply previewed, or refused, comes back as the whole thread page: it opens at the form, where
    // the preview and the reason are, not at the top of the thread (where nothing said it had not gone).
    const atForm = async () => {
      expect(new URL(page.url()).hash).toBe('#reply')
      expect(await page.locator('#reply').evaluate((f) => { const r = f.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0 })).toBe(true)
    }
    await page.setViewportSize({ width: 390, height: 500 })
    await page.locator('#reply-body').fill('A reply, *previewed*.')
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Preview' }).click()])
    expect(await page.locator('#reply-preview section.preview em').textContent()).toBe('previewed')
    await atForm()
    await page.locator('#reply-body').fill('   ')
    const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Post reply' }).click()])
    expect(refused.status()).toBe(422)
    await atForm()
    expect(await page.locator('#body-error').isVisible()).toBe(true)
    // Posted, it opens at the new post.
    await page.locator('#reply-body').fill('A reply, posted.')
    await Promise.all([page.waitForURL(/#p2$/), page.getByRole('button', { name: 'Post reply' }).click()])
    expect(await page.locator('#posts article').count()).toBe(2)
  })

  it('JavaScript on: Preview fills the form’s preview in place (no navigation, no console errors); a reply is previewed the same way', async () => {
    const page = await withIdentity(true)
    const problems = watchProblems(page, suite.server.url)
    const title = `Previewed on ${Date.now()}`
    await page.locator('#title').fill(title)
    await page.locator('#body').fill('In **place**.')
    const [req] = await Promise.all([page.waitForRequest((r) => r.method() === 'POST'), page.getByRole('button', { name: 'Preview' }).click()])
    expect(new URL(req.url()).pathname).toBe('/c/lobby/general/preview')
    expect(req.headers()['hx-request']).toBe('true')
    const preview = page.locator('#new-thread-preview section.preview')
    await expect.poll(() => preview.locator('strong').textContent().catch(() => null)).toBe('place')
    expect(new URL(page.url()).pathname).toBe('/c/lobby/general')
    expect(await page.locator('#body').inputValue()).toBe('In **place**.')

    await Promise.all([page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/), page.getByRole('button', { name: 'Start thread' }).click()])
    expect(await page.locator('main h1').textContent()).toBe(title)
    await page.waitForFunction(() => 'htmx' in window)

    await page.locator('#reply-body').fill('A reply, *previewed*.')
    await page.getByRole('button', { name: 'Preview' }).click()
    await expect.poll(() => page.locator('#reply-preview section.preview em').textContent().catch(() => null)).toBe('previewed')
    expect(await page.locator('#posts article').count()).toBe(1)
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Post reply' }).click()])
    await expect.poll(() => page.locator('#posts article').count()).toBe(2)
    // The fresh form (swapped in with the post) has an empty preview again.
    await expect.poll(() => page.locator('#reply-preview').innerHTML()).toBe('')
    expect(problems).toEqual([])
  })
})
