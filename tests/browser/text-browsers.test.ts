import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { pgServerEnv, TEST_DIALECT } from '../support/app.ts'
import { startServer, type RunningServer } from '../support/server.ts'
import { heldKey, logInWith } from '../support/keys.ts'
import { TEST_SETTINGS } from '../support/settings.ts'
import { Visitor } from '../support/visitor.ts'

// Text browsers (issue 14): lynx and w3m, no JavaScript, no CSS. What needs JavaScript is not in
// the page at all; the header and the pager read as words; and a reader can read a thread, take a
// disposable identity, reply, and vote on a line question. lynx runs in a tmux pane (as in costs-lynx.test.ts): tmux's
// capture-pane reads the screen, send-keys types, and fields are reached by their numbers.

const BROWSER_KEY_BUTTONS = ['Create a browser key', 'Import a private key', 'Log in with the browser key', 'Export the private key', 'Forget the key in this browser']

describe('lynx and w3m (text browsers, no JavaScript)', () => {
  let server: RunningServer
  let drop: (() => Promise<void>) | undefined
  let home: string
  let thread = ''
  let author: Visitor
  const env: Record<string, string> = {}
  // Every text browser, and its own tmux server, runs with the test's folder as HOME (removed after).
  const homeEnv = () => ({ ...process.env, HOME: home, TERM: 'xterm' })
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', join(home, 'tmux.sock'), ...args], { encoding: 'utf8', env: homeEnv() })
  /** What w3m and lynx make of a page, as plain text (lynx without its link numbers and list). */
  const dumps = (path: string) => ({
    w3m: execFileSync('w3m', ['-dump', '-cols', '200', server.url + path], { encoding: 'utf8', env: homeEnv() }),
    lynx: execFileSync('lynx', ['-dump', '-nolist', '-nonumbers', '-width=200', `-cfg=${join(home, 'lynx.cfg')}`, server.url + path], { encoding: 'utf8', env: homeEnv() }),
  })

  /** The same, of a page already fetched (one seen with a session the text browsers do not hold). */
  const dumpsOf = (html: string) => ({
    w3m: execFileSync('w3m', ['-dump', '-cols', '200', '-T', 'text/html'], { input: html, encoding: 'utf8', env: homeEnv() }),
    lynx: execFileSync('lynx', ['-dump', '-nolist', '-nonumbers', '-width=200', `-cfg=${join(home, 'lynx.cfg')}`, '-stdin'], { input: html, encoding: 'utf8', env: homeEnv() }),
  })

  beforeAll(async () => {
    // One thread a page, so the board has a pager after three threads.
    env.THREADS_PER_PAGE = '1'
    if (TEST_DIALECT === 'postgres') {
      const pg = await pgServerEnv()
      Object.assign(env, pg.env)
      drop = pg.drop
    }
    server = await startServer(env)
    home = mkdtempSync(join(tmpdir(), 'cellboard-text-'))
    writeFileSync(join(home, 'lynx.cfg'), 'INCLUDE:/etc/lynx/lynx.cfg\nDEFAULT_KEYPAD_MODE:LINKS_AND_FIELDS_ARE_NUMBERED\nACCEPT_ALL_COOKIES:TRUE\n')
    // Three threads by someone else, over plain HTTP.
    author = new Visitor(server.url)
    await author.takeIdentity()
    for (let i = 1; i <= 3; i++) {
      await author.get('/c/lobby/general')
      const r = await author.post('/c/lobby/general', { title: `Thread number ${i} for text browsers`, body: `The opening post of thread ${i}, read in a terminal.` })
      expect(r.res.status).toBe(303)
      thread = r.res.headers.get('location')!
    }
  }, 60_000)
  afterAll(async () => {
    try {
      tmux('kill-server')
    } catch {}
    await server?.stop()
    await drop?.()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  it('the identity page, with JavaScript off, holds no browser-key buttons: only the note that says it needs JavaScript', () => {
    for (const [browser, dump] of Object.entries(dumps('/identity'))) {
      expect(dump, browser).toContain('Take a disposable identity')
      expect(dump, browser).toMatch(/This way needs\s+JavaScript/)
      for (const label of BROWSER_KEY_BUTTONS) expect(dump, `${browser}: ${label}`).not.toContain(label)
    }
  })

  it('the identity page of a browser-key session, with JavaScript off, holds no browser-key buttons either', async () => {
    const reader = new Visitor(server.url)
    await logInWith(reader, await heldKey(), 'browser')
    const { text: page } = await reader.get('/identity')
    expect(page).toContain('browser key (the private key stays in your browser')
    for (const [browser, dump] of Object.entries(dumpsOf(page))) {
      expect(dump, browser).toContain('Burn identity')
      expect(dump, browser).toMatch(/forgetting the key kept in your browser\s+needs JavaScript/)
      for (const label of BROWSER_KEY_BUTTONS) expect(dump, `${browser}: ${label}`).not.toContain(label)
    }
  })

  it('the header and the pager read as separate words', () => {
    for (const [browser, dump] of Object.entries(dumps('/c/lobby/general?page=2'))) {
      const flat = dump.replace(/\s+/g, ' ')
      // The header's last word, then the crumbs: not "Take an identityLobby /".
      expect(flat, browser).toMatch(/ Search Take an identity Lobby \//)
      // The pager: newer, each page number, older, each a word of its own (not "← newer123older →").
      expect(flat, browser).toMatch(/← newer 1 2 3 older →/)
    }
  })

  /** The operator puts keys on the lobby's roster (as `roster add` does), through the same composition root. */
  async function rosterAdd(keys: { armored: string; tier: 'member' | 'voter' }[]) {
    const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...env, DATA_DIR: server.dataDir }), { poolSize: 1, forgetAfterMigrating: false })
    try {
      for (const k of keys) await addRosterKey(deps, { cell: 'lobby', armoredKey: k.armored, tier: k.tier })
    } finally {
      await close()
    }
  }

  it('lynx reads a thread, takes a disposable identity from it, posts a reply that lands, and votes on a line question', async () => {
    const screen = () => tmux('capture-pane', '-p', '-t', 'lynx').split('\n').map((l) => l.trim()).join(' ').replace(/\s+/g, ' ')
    const keys = (...k: string[]) => tmux('send-keys', '-t', 'lynx', ...k)
    async function waitFor(re: RegExp, what: string): Promise<RegExpExecArray> {
      for (let i = 0; i < 200; i++) {
        const m = re.exec(screen())
        if (m) return m
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`lynx never showed ${what}; its screen:\n${tmux('capture-pane', '-p', '-t', 'lynx')}`)
    }
    /** From where the cursor is, down to the next submit button, and press it. */
    async function submit() {
      for (let i = 0; i < 20 && !/Form submit button/.test(screen()); i++) {
        keys('Down')
        await new Promise((r) => setTimeout(r, 100))
      }
      await waitFor(/Form submit button/, 'a submit button')
      keys('Enter')
    }

    tmux('new-session', '-d', '-s', 'lynx', '-x', '200', '-y', '60', `lynx -nopause -cfg=${join(home, 'lynx.cfg')} -cookie_file=${join(home, 'cookies')} -cookie_save_file=${join(home, 'cookies')} ${server.url}${thread}`)
    // Read the thread: its title and its opening post.
    await waitFor(/Thread number 3 for text browsers .*The opening post of thread 3, read in a terminal\./, 'the thread')
    const [, take] = await waitFor(/To post, \[(\d+)\]take an identity first/, 'the link to take an identity')
    keys(take!, 'Enter')
    const [, button] = await waitFor(/\(\[(\d+)\]BUTTON\) Take a disposable identity/, 'the identity page')
    expect(screen()).not.toMatch(/Create a browser key|Log in with the browser key/)
    keys(button!, 'Enter')
    await waitFor(/Form submit button/, 'the button chosen')
    keys('Enter')
    const [, handle] = await waitFor(/You post as ([a-z]+-[a-z]+)/, 'the new identity')
    const [, fpr] = await waitFor(/Fingerprint: ([0-9a-f]{40,64})/, 'its fingerprint')
    const [, back] = await waitFor(/\[(\d+)\]Continue to where you were/, 'the way back to the thread')
    keys(back!, 'Enter')
    // lynx shows the page it has in memory: load it again, now with the identity.
    await waitFor(/Thread number 3 for text browsers/, 'the thread again')
    keys('C-r')
    const [, field] = await waitFor(new RegExp(`Reply as ${handle} \\[(\\d+)\\]_`), 'the reply form')
    keys(field!, 'Enter')
    await waitFor(/\(Textarea/, 'the reply box taking text')
    const reply = `A reply typed in lynx, number ${Math.random().toString(36).slice(2, 10)}.`
    keys('-l', reply)
    await submit()
    await waitFor(new RegExp(`#2 ${handle} .*${reply.replace(/\./g, '\\.')}`), 'the reply in the thread')

    // It landed: a reader who is no one sees it on the thread, under the new pseudonym.
    const stranger = new Visitor(server.url)
    const page = (await stranger.get(thread)).text
    expect(page).toContain(reply)
    expect(page).toMatch(new RegExp(`id="p2"[\\s\\S]*${handle}[\\s\\S]*${reply.replace(/\./g, '\\.')}`))

    // The operator puts lynx's key (published with its reply) on the roster as the one voter, and
    // the thread's author as a member, who raises a question about the opening post.
    const lynxKey = await (await fetch(`${server.url}/k/${fpr}.asc`)).text()
    expect(lynxKey).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    await rosterAdd([{ armored: lynxKey, tier: 'voter' }, { armored: (await author.get('/identity/public-key.asc')).text, tier: 'member' }])
    await author.get('/c/lobby/questions/new?kind=remove_post')
    const raised = await author.post('/c/lobby/questions', { kind: 'remove_post', board: 'general', thread: thread.split('/').pop()!, number: '1', principle: '1', argument: 'Raised for lynx to vote on.' })
    expect(raised.res.status, /role="alert">([^<]*)/.exec(raised.text)?.[1]).toBe(303)
    const question = raised.res.headers.get('location')!

    // lynx opens it, picks "no", reviews the exact text its disposable key signs, and casts it.
    keys('g')
    await waitFor(/URL to open:/, 'the address prompt')
    keys('C-u')
    keys('-l', server.url + question)
    keys('Enter')
    const [, no] = await waitFor(/\[(\d+)\]\([ *]\) no/, 'the ballot form')
    keys(no!, 'Enter')
    await waitFor(/\(Radio Button\)/, 'the radio button chosen')
    keys('Enter')
    await waitFor(/\(\*\) no/, '"no" picked')
    const [, review] = await waitFor(/\(\[(\d+)\]BUTTON\) Review the ballot/, 'the review button')
    keys(review!, 'Enter')
    await waitFor(/Form submit button/, 'the review button chosen')
    keys('Enter')
    await waitFor(/Sign this ballot\?.*choice: no/, 'the text to sign')
    const [, cast] = await waitFor(/\(\[(\d+)\]BUTTON\) Sign and cast/, 'the cast button')
    keys(cast!, 'Enter')
    await waitFor(/Form submit button/, 'the cast button chosen')
    keys('Enter')
    // The only voter has voted: the question closes, and lynx shows the decision.
    await waitFor(/Decision: Rejected/, 'the decision')

    // It landed: anyone sees the published ballot, signed by lynx's key, saying "no".
    const decided = (await stranger.get(question)).text
    expect(decided).toContain('Decision: Rejected')
    expect(decided).toContain(fpr)
    expect(decided).toMatch(/question: \d+\nline: 1\nchoice: no\n-----BEGIN PGP SIGNATURE-----/)
  }, 60_000)
})
