import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { chromium, type Browser, type BrowserContext, type Download, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import type { PuzzleMaker } from '../../src/domain/costs.ts'
import { startServer } from './server.ts'
import { makeBoard, pgCheckpoint, pgDataDirectory, pgServerEnv, TEST_DIALECT } from './app.ts'
import { findMarkers, findMarkersInDir } from './scan.ts'

// Debian's chromium, never a downloaded one. Playwright refuses --user-data-dir in args; a plain
// launch() already uses a fresh, throwaway profile.
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
}

/**
 * Wait until `fn(arg)` is true in the page, asking the page again every 100 ms from here (across
 * navigations: an answer lost to one counts as false). Not page.waitForFunction where JavaScript
 * may be off: there Playwright checks once per document and never again (neither its 'raf' nor its
 * interval polling fires in such a page: seen with Debian's chromium 156), so a check made while
 * the page was still arriving waits out its whole timeout. Under load that failed own-posts' JS-off
 * test in 2 of 3 full runs, with the page showing just what was waited for.
 */
export async function waitInPage(page: Page, fn: (arg: string) => boolean, arg = '', timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout
  let last = ''
  for (;;) {
    const left = end - Date.now()
    // A page navigating away destroys the context an answer would come from: that counts as
    // false. Any other error (a bug in fn, a closed page) is thrown at once, as it is.
    const asked = page.evaluate(fn, arg).catch((e: Error) => {
      if (!/Execution context was destroyed|Cannot find context|navigat/i.test(e.message) || page.isClosed()) throw e
      last = e.message.split('\n')[0]!
      return false
    })
    let timer: NodeJS.Timeout | undefined
    const answer = await Promise.race([asked, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(left, 0) + 1000)))]).finally(() => clearTimeout(timer))
    if (answer === true) return
    if (answer === 'late' || Date.now() > end) {
      const shown = await page.locator('body').innerText({ timeout: 2000 }).catch(() => '(no body)')
      throw new Error(`still false after ${timeout} ms at ${page.url()}: ${fn.toString().slice(0, 200)}${last ? `\n(last lost answer: ${last})` : ''}\nthe page says:\n${shown.slice(0, 1500)}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Wait until the page's main heading reads exactly `text` (JavaScript on or off: waitInPage). */
export const waitForHeading = (page: Page, text: string, timeout?: number) => waitInPage(page, (t) => document.querySelector('main h1')?.textContent === t, text, timeout)

/** A fresh context (own cookies, nothing shared) with JavaScript on or off, downloads allowed. */
export async function newContext(browser: Browser, opts: { js: boolean; baseURL: string }): Promise<BrowserContext> {
  return browser.newContext({ javaScriptEnabled: opts.js, baseURL: opts.baseURL, acceptDownloads: true })
}

/** Click something that starts a download, and return the downloaded file's text. */
export async function downloadText(page: Page, click: () => Promise<unknown>, timeout = 10_000): Promise<{ download: Download; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout }), click()])
  const path = await download.path()
  return { download, text: readFileSync(path, 'utf8') }
}

export type GpgResult = { status: number | null; stdout: string; stderr: string }

/**
 * Check a cleartext-signed message with real GnuPG, in a fresh GNUPGHOME that holds only the
 * given public key: `gpg --import key.asc`, then `gpg --verify post.asc`. Returns the verify
 * step's exit status and output (gpg writes its verdict, "Good signature", to stderr).
 */
export function gpgVerify(publicKey: string, signed: string): GpgResult {
  const home = mkdtempSync(join(tmpdir(), 'cellboard-gpg-'))
  const env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C', LANGUAGE: 'C' }
  const gpg = (...args: string[]) => spawnSync('gpg', ['--homedir', home, '--batch', ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 })
  try {
    writeFileSync(join(home, 'key.asc'), publicKey)
    writeFileSync(join(home, 'post.asc'), signed)
    const imported = gpg('--import', join(home, 'key.asc'))
    if (imported.error) throw imported.error
    if (imported.status !== 0) return { status: imported.status, stdout: imported.stdout, stderr: `gpg --import failed:\n${imported.stderr}` }
    const verified = gpg('--verify', join(home, 'post.asc'))
    if (verified.error) throw verified.error
    return { status: verified.status, stdout: verified.stdout, stderr: verified.stderr }
  } finally {
    // Importing may have started a gpg-agent for this home: stop it before removing the folder.
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all'], { env, stdio: 'ignore' })
    rmSync(home, { recursive: true, force: true })
  }
}

/** What a browser suite's pages talk to: where it listens, where its data lives, what it printed. */
export type SuiteServer = { url: string; dataDir: string; output: () => string; stop: () => Promise<void> }

/**
 * The tests' board (tests/support/app.ts: the composition root, with `puzzles` given) served over a
 * real port from this process, for a browser test that must know what only the process knows (the
 * captchas' answers). It prints nothing of its own.
 */
async function serveInProcess(env: Record<string, string>, puzzles: PuzzleMaker): Promise<SuiteServer> {
  const board = await makeBoard(env, Date.now, { puzzles })
  const http = serve({ fetch: board.app.fetch, hostname: '127.0.0.1', port: 0 })
  await once(http, 'listening')
  const { port } = http.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir: board.dir,
    output: () => '',
    async stop() {
      ;(http as import('node:http').Server).closeAllConnections()
      await new Promise((r) => http.close(r))
      await board.close()
    },
  }
}

/**
 * A real server (src/main.ts, with `env`) and Debian's chromium for one describe block: started
 * before its tests, and stopped after them with every page opened through `page()`. Given
 * `puzzles`, the server runs in this process instead (serveInProcess), so the test knows the answers.
 */
export function browserSuite(opts: { env?: Record<string, string>; puzzles?: PuzzleMaker } = {}) {
  let server: SuiteServer | undefined
  let browser: Browser | undefined
  let drop: (() => Promise<void>) | undefined
  // On PostgreSQL (the dialect under test), the server gets its own database and shares Redis.
  const env: Record<string, string> = { ...opts.env }
  const contexts: BrowserContext[] = []
  beforeAll(async () => {
    if (opts.puzzles) {
      ;[server, browser] = await Promise.all([serveInProcess(env, opts.puzzles), launchBrowser()])
      return
    }
    if (TEST_DIALECT === 'postgres') {
      const pg = await pgServerEnv()
      Object.assign(env, pg.env)
      drop = pg.drop
    }
    ;[server, browser] = await Promise.all([startServer(env), launchBrowser()])
  })
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
    await server?.stop()
    await drop?.()
  })
  return {
    get server(): SuiteServer {
      return server!
    },
    /** What the operator's CLI needs to reach the same data as the server. */
    get env(): Record<string, string> {
      return { ...env, DATA_DIR: server!.dataDir }
    },
    /**
     * Where markers occur in the server's data files: its SQLite files, or the whole PostgreSQL data
     * directory. `present` first writes PostgreSQL's dirty pages (pgCheckpoint says why).
     */
    async findMarkers(markers: string[], opts: { present?: boolean } = {}): Promise<Record<string, string[]>> {
      if (TEST_DIALECT !== 'postgres') return findMarkers(server!.dataDir, markers)
      if (opts.present) await pgCheckpoint()
      return findMarkersInDir(await pgDataDirectory(), markers)
    },
    /** A page in a fresh context (own cookies), with JavaScript on or off. */
    async page(js: boolean): Promise<Page> {
      const context = await newContext(browser!, { js, baseURL: server!.url })
      contexts.push(context)
      return context.newPage()
    },
  }
}

/**
 * Everything that goes wrong in a page, as it happens: console errors (and warnings, unless told
 * not to), CSP refusals, page errors, crashes. Chromium asks for /favicon.ico by itself and logs
 * its 404; that is no error of the page.
 */
export function watchProblems(page: Page, serverUrl: string, opts: { warnings: boolean } = { warnings: true }): string[] {
  const problems: string[] = []
  page.on('console', (m) => {
    const text = m.text()
    if (/^Failed to load resource/.test(text) && new URL(m.location().url || serverUrl).pathname === '/favicon.ico') return
    if (m.type() === 'error' || (opts.warnings && m.type() === 'warning') || /Content Security Policy|Refused to/i.test(text)) problems.push(`console.${m.type()}: ${text} (${m.location().url})`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('crash', () => problems.push('crash'))
  return problems
}
