import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readAnswer } from '../../src/domain/costs.ts'
import { pgServerEnv, TEST_DIALECT } from '../support/app.ts'
import { startServer, type RunningServer } from '../support/server.ts'

// A text browser takes an identity by answering the question, then posts (issue 11), against the
// real server with ABUSE_COSTS=on. lynx runs in a tmux pane: the question is made when the page is
// shown, so the keys to type depend on what the screen says, and a lynx -cmd_script (keystrokes
// fixed before lynx starts) cannot answer it. tmux's capture-pane reads the screen, send-keys types.
// Fields are reached by their numbers (lynx's "links and form fields are numbered" keypad mode).
describe('the cost of an identity in lynx (a text browser, no JavaScript, no pictures)', () => {
  let server: RunningServer
  let drop: (() => Promise<void>) | undefined
  let home: string
  // Its own tmux server, its socket in the test's folder (removed with it).
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', join(home, 'tmux.sock'), ...args], { encoding: 'utf8', env: { ...process.env, HOME: home, TERM: 'xterm' } })

  beforeAll(async () => {
    const env: Record<string, string> = { ABUSE_COSTS: 'on' }
    if (TEST_DIALECT === 'postgres') {
      const pg = await pgServerEnv()
      Object.assign(env, pg.env)
      drop = pg.drop
    }
    server = await startServer(env)
    home = mkdtempSync(join(tmpdir(), 'cellboard-lynx-'))
    // Debian's configuration, with fields numbered (digits pick a field) and cookies taken without asking.
    writeFileSync(join(home, 'lynx.cfg'), 'INCLUDE:/etc/lynx/lynx.cfg\nDEFAULT_KEYPAD_MODE:LINKS_AND_FIELDS_ARE_NUMBERED\nACCEPT_ALL_COOKIES:TRUE\n')
  })
  afterAll(async () => {
    try {
      tmux('kill-server')
    } catch {}
    await server?.stop()
    await drop?.()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  /** What lynx shows now, its lines joined (a sentence may wrap). */
  const screen = () => tmux('capture-pane', '-p', '-t', 'lynx').split('\n').map((l) => l.trim()).join(' ').replace(/\s+/g, ' ')
  const keys = (...k: string[]) => tmux('send-keys', '-t', 'lynx', ...k)
  async function waitFor(re: RegExp, what: string): Promise<RegExpExecArray> {
    for (let i = 0; i < 150; i++) {
      const m = re.exec(screen())
      if (m) return m
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`lynx never showed ${what}; its screen:\n${tmux('capture-pane', '-p', '-t', 'lynx')}`)
  }
  /** Move to field number `n` (typing its number) and type `text` into it. */
  async function fill(n: string, text: string) {
    keys(n, 'Enter')
    await waitFor(/\(Textfield|\(Textarea/, `field ${n} taking text`)
    keys('-l', text)
  }
  /** From a field, down to the next submit button, and press it. */
  async function submit() {
    for (let i = 0; i < 20 && !/Form submit button/.test(screen()); i++) {
      keys('Down')
      await new Promise((r) => setTimeout(r, 100))
    }
    await waitFor(/Form submit button/, 'a submit button')
    keys('Enter')
  }

  /** A question as the server words it, answered as a person would. */
  function answer(question: string): number {
    const n = (w: string) => readAnswer(w)!
    let m: RegExpExecArray | null
    if ((m = /^What is (.+) plus (.+)\?$/.exec(question)) || (m = /^Add (.+) to (.+)\. What do you get\?$/.exec(question))) return n(m[1]!) + n(m[2]!)
    if ((m = /^What is (.+) minus (.+)\?$/.exec(question))) return n(m[1]!) - n(m[2]!)
    if ((m = /^Take (.+) away from (.+)\. How many are left\?$/.exec(question))) return n(m[2]!) - n(m[1]!)
    throw new Error(`a question this test cannot read: ${question}`)
  }

  it('answers the question on /identity, takes the identity, and starts a thread', async () => {
    tmux('new-session', '-d', '-s', 'lynx', '-x', '200', '-y', '60', `lynx -nopause -cfg=${join(home, 'lynx.cfg')} -cookie_file=${join(home, 'cookies')} -cookie_save_file=${join(home, 'cookies')} ${server.url}/identity`)
    // The identity form's question and its field's number (the login form's comes later on the page).
    const [, question, field] = await waitFor(/in digits or words: (.+?\?) \[(\d+)\]_/, 'the question')
    await fill(field!, String(answer(question!)))
    await submit()
    await waitFor(/You post as ([a-z]+-[a-z]+)/, 'the new identity')

    keys('g')
    await waitFor(/URL to open:/, 'the address prompt')
    keys('C-u')
    keys('-l', `${server.url}/c/lobby/general`)
    keys('Enter')
    const [, titleField] = await waitFor(/Title \[(\d+)\]_/, 'the new-thread form')
    const title = `Written in lynx ${Date.now()}`
    await fill(titleField!, title)
    keys('Down')
    await waitFor(/\(Textarea|\(Textfield/, 'the text area')
    keys('-l', 'A thread started from a text browser, after answering a question.')
    await submit()
    await waitFor(new RegExp(`${title} .*A thread started from a text browser`), 'the new thread')
  })
})
