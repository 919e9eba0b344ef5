import { randomBytes } from 'node:crypto'
import * as openpgp from 'openpgp'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { unpadLetter } from '../../src/domain/letters.ts'
import type { Deps } from '../../src/services/deps.ts'
import { exportLetters, setCellKey } from '../../src/services/letters.ts'
import { browserSuite, watchProblems } from '../support/browser.ts'
import { Gpg } from '../support/gpg.ts'
import { TEST_SETTINGS } from '../support/settings.ts'

// Letters in Debian's chromium against the real server, with the cell's private key made by gpg
// and held only by this test. JavaScript on: the page encrypts the letter and sends only
// ciphertext. JavaScript off: the text goes as typed and the server encrypts it. gpg --decrypt
// reads both.
describe('a letter to a cell, in a browser', () => {
  const suite = browserSuite()
  let gpg: Gpg

  /** The server's board, reached from this process as the operator's CLI would (no node start-up). */
  async function withDeps<T>(work: (deps: Deps) => Promise<T>): Promise<T> {
    const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...suite.env }), { poolSize: 1, forgetAfterMigrating: false })
    try {
      return await work(deps)
    } finally {
      await close()
    }
  }

  beforeAll(async () => {
    gpg = new Gpg()
    const fpr = gpg.generateCellKey('cell key')
    await withDeps((deps) => setCellKey(deps, { cell: 'lobby', armoredKey: gpg.exportPublic(fpr) }))
  })
  afterAll(() => gpg?.close())

  /** The stored letter with this reference, decrypted by gpg, padding removed. */
  async function readByGpg(reference: string): Promise<{ text: string; size: number }> {
    const file = (await withDeps((deps) => exportLetters(deps, 'lobby'))).text
    const message = file.split(/(?=-----BEGIN PGP MESSAGE-----)/).find((m) => m.includes(`cellboard letter ${reference}`))
    expect(message).toBeDefined()
    const r = gpg.decrypt(message!)
    expect(r.status, r.err).toBe(0)
    return { text: unpadLetter(new Uint8Array(r.bytes)), size: r.bytes.length }
  }

  async function send(page: Page, text: string) {
    expect((await page.goto('/c/lobby'))!.status()).toBe(200)
    await page.getByRole('link', { name: 'Write a letter to this cell' }).click()
    await page.waitForURL((u) => u.pathname === '/c/lobby/letters/new')
    await page.locator('#letter-text').fill(text)
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/letters'),
      page.getByRole('button', { name: 'Encrypt and send' }).click(),
    ])
    await page.locator('.letter-reference code').waitFor()
    return { response, body: new URLSearchParams(response.request().postData() ?? ''), reference: (await page.locator('.letter-reference code').textContent())! }
  }

  it('with JavaScript on, the page encrypts the letter to the cell key and sends only ciphertext, which gpg decrypts to the text', async () => {
    const page = await suite.page(true)
    const problems = watchProblems(page, suite.server.url, { warnings: false })
    const hosts = new Set<string>()
    page.on('request', (r) => hosts.add(new URL(r.url()).host))
    const secret = `JSON${randomBytes(6).toString('hex')}`
    const text = `Dear cell,\nencrypted in the browser: ${secret}.\n— ünïcode reader`
    await page.goto('/c/lobby/letters/new')
    await page.waitForFunction(() => 'htmx' in window)
    // With JavaScript on, the words never reach the server: once the script runs, no notice says they do.
    await page.locator('[data-server-encrypts]').waitFor({ state: 'hidden' })
    expect(await page.locator('main').innerText()).not.toContain('this server encrypts it as it arrives')
    const { response, body, reference } = await send(page, text)
    expect(response.status()).toBe(200)
    expect(body.get('text')).toBe('')
    expect(body.get('ciphertext')).toMatch(/^-----BEGIN PGP MESSAGE-----/)
    expect(response.request().postData()).not.toContain(secret)
    expect(await page.locator('main h1').textContent()).toBe('Your letter was sent')
    // The address bar stays at the letter form (htmx put the POST-only /c/lobby/letters there, and
    // a reload was a 404); a reload shows the form again.
    expect(new URL(page.url()).pathname).toBe('/c/lobby/letters/new')
    expect((await page.reload())!.status()).toBe(200)
    expect(await readByGpg(reference)).toEqual({ text, size: 1024 })
    expect([...hosts]).toEqual([new URL(suite.server.url).host])
    expect(problems).toEqual([])
  })

  it('with JavaScript on, a letter the server refuses (encrypted to a key that is not the cell’s) comes back with its text in the form, and nothing is kept', async () => {
    const page = await suite.page(true)
    // The page is handed another key as the cell's: what a tampered key.asc would do.
    const other = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'not the cell' }], format: 'armored' })
    await page.route('**/c/lobby/key.asc', (route) => route.fulfill({ status: 200, contentType: 'application/pgp-keys', body: other.publicKey }))
    const before = await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).count)
    await page.goto('/c/lobby/letters/new')
    await page.waitForFunction(() => 'htmx' in window)
    const text = 'A letter that will come back.\nSecond line.'
    await page.locator('#letter-text').fill(text)
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/letters'),
      page.getByRole('button', { name: 'Encrypt and send' }).click(),
    ])
    expect(response.status()).toBe(422)
    await page.locator('#text-error').waitFor()
    expect(await page.locator('#text-error').textContent()).toMatch(/another key/)
    await page.waitForFunction((t) => (document.querySelector('#letter-text') as HTMLTextAreaElement | null)?.value === t, text)
    expect(await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).count)).toBe(before)
  })

  it('with JavaScript on, a letter whose send is lost on the way (a dropped circuit) is back in its box, and sending again delivers it once', async () => {
    // The page empties the box once it has encrypted; only a swap put the words back, and a send
    // that never arrived brings none: the box was empty under "Your text is still here".
    const page = await suite.page(true)
    const before = await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).count)
    await page.goto('/c/lobby/letters/new')
    await page.waitForFunction(() => 'htmx' in window)
    let dropped = 0
    await page.route('**/c/lobby/letters', (r) => (r.request().method() === 'POST' && dropped++ === 0 ? r.abort() : r.continue()))
    const text = 'A letter sent over a circuit that dropped.'
    await page.locator('#letter-text').fill(text)
    await page.getByRole('button', { name: 'Encrypt and send' }).click()
    await page.locator('form .held-error', { hasText: 'Not sent: the connection failed on the way.' }).waitFor({ timeout: 30_000 })
    await page.waitForFunction((t) => (document.querySelector('#letter-text') as HTMLTextAreaElement | null)?.value === t, text, { timeout: 5_000 })
    expect(dropped).toBe(1)
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/letters'),
      page.getByRole('button', { name: 'Encrypt and send' }).click(),
    ])
    expect(response.status()).toBe(200)
    const reference = (await page.locator('.letter-reference code').textContent())!
    expect(await readByGpg(reference)).toEqual({ text, size: 1024 })
    expect(await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).count)).toBe(before + 1)
  })

  it('with JavaScript on but the page’s script lost on the way (a dropped circuit), the writer is still told the server will see the words, and the server encrypts them', async () => {
    const page = await suite.page(true)
    await page.context().route(/\/static\/app\.js/, (r) => r.abort())
    await page.goto('/c/lobby/letters/new')
    await page.waitForFunction(() => 'htmx' in window)
    // What the writer sees before sending: nothing in this page encrypts, so the notice is shown.
    expect(await page.locator('main').innerText()).toContain('this server encrypts it as it arrives')
    const text = 'Dear cell,\nmy browser had JavaScript on, and the page’s script never came.'
    const { response, body, reference } = await send(page, text)
    expect(response.status()).toBe(200)
    // htmx (a script of its own, which did arrive) sent the form: the lines as typed.
    expect(body.get('text')).toBe(text)
    expect(body.get('ciphertext')).toBe('')
    expect(await readByGpg(reference)).toEqual({ text, size: 1024 })
  })

  it('with JavaScript off, the text goes as typed and the server encrypts it; gpg decrypts it to the text', async () => {
    const page = await suite.page(false)
    // The writer is told, before sending, that without JavaScript the server sees the words.
    await page.goto('/c/lobby/letters/new')
    expect(await page.locator('main').innerText()).toContain('this server encrypts it as it arrives')
    const text = `Dear cell,\nsent without JavaScript.\n${'A longer paragraph. '.repeat(80)}`
    const { response, body, reference } = await send(page, text)
    expect(response.status()).toBe(200)
    expect(body.get('text')).toBe(text.replace(/\n/g, '\r\n'))
    expect(body.get('ciphertext')).toBe('')
    expect(await readByGpg(reference)).toEqual({ text, size: 4096 })
  })
})

// A full inbox (services/letters.ts refuseWhenFull), as a writer meets it: the reason beside the
// field, their words still in it, nothing kept; with JavaScript on the page had sent ciphertext only.
describe('a letter to a full inbox, in a browser', () => {
  const suite = browserSuite({ env: { LETTERS_WAITING_MAX: '1' } })
  let gpg: Gpg

  beforeAll(async () => {
    gpg = new Gpg()
    const fpr = gpg.generateCellKey('cell key')
    const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...suite.env }), { poolSize: 1, forgetAfterMigrating: false })
    try {
      await setCellKey(deps, { cell: 'lobby', armoredKey: gpg.exportPublic(fpr) })
    } finally {
      await close()
    }
  })
  afterAll(() => gpg?.close())

  for (const js of [false, true]) {
    it(`with JavaScript ${js ? 'on' : 'off'}, a letter past LETTERS_WAITING_MAX is refused (503) beside the field, its text kept in the form`, async () => {
      const page = await suite.page(js)
      const write = async (text: string) => {
        await page.goto('/c/lobby/letters/new')
        if (js) await page.waitForFunction(() => 'htmx' in window)
        await page.locator('#letter-text').fill(text)
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/letters'),
          page.getByRole('button', { name: 'Encrypt and send' }).click(),
        ])
        return response
      }
      // The first test's letter fills it; the second test finds it full already.
      if (!js) {
        expect((await write('The letter that fills the inbox.')).status()).toBe(200)
        await page.locator('.letter-reference code').waitFor()
      }
      const text = `A letter to a full inbox (JavaScript ${js ? 'on' : 'off'}).\nSecond line.`
      const refused = await write(text)
      expect(refused.status()).toBe(503)
      if (js) expect(new URLSearchParams(refused.request().postData() ?? '').get('text')).toBe('')
      await page.locator('#text-error').waitFor()
      expect(await page.locator('#text-error').textContent()).toMatch(/inbox is full/)
      await page.waitForFunction((t) => (document.querySelector('#letter-text') as HTMLTextAreaElement | null)?.value === t, text)
      expect(await page.locator('.letter-reference').count()).toBe(0)
      const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...suite.env }), { poolSize: 1, forgetAfterMigrating: false })
      try {
        expect((await exportLetters(deps, 'lobby')).count).toBe(1)
      } finally {
        await close()
      }
    })
  }
})
