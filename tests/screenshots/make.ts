// Screenshots of every page type, in every language the board speaks, at a desktop (1280 px) and
// a phone (390 px) width, with JavaScript off (and on, with --js): `npm run screenshots`.
// A board with a few threads, questions and a decision is built in a temporary folder, served on
// 127.0.0.1 and photographed with Debian's Chromium. By default the pictures the README shows are
// (re)written into tests/screenshots/; `--all DIR` writes every page type in every language to DIR
// (for a person to look through before a change lands).
import { mkdirSync } from 'node:fs'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { LANGS } from '../../src/i18n/index.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { chromium } from 'playwright-core'

const args = process.argv.slice(2)
const all = args.includes('--all')
const withJs = args.includes('--js')
const outDir = all ? (args[args.indexOf('--all') + 1] ?? '/tmp/cellboard-screenshots') : new URL('./', import.meta.url).pathname
mkdirSync(outDir, { recursive: true })

const board = await makeBoard()
const voter = async (): Promise<Client> => {
  const c = board.client()
  await c.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: 'voter' })
  return c
}
const [ana, ben, cleo] = [await voter(), await voter(), await voter()]
const must = (r: { res: Response }, what: string) => {
  if (r.res.status !== 303) throw new Error(`${what}: ${r.res.status}`)
}
must(await ana.post('/c/lobby/general', { title: 'Saturday: who brings the banner?', body: 'We meet at **ten** by the fountain.\n\n- banner\n- leaflets (200)\n- water' }), 'thread')
must(await ben.post('/c/lobby/general/t/1', { body: '>>1\n> who brings the banner?\n\nI can. The old one is torn, so I will paint a new one on Friday.' }), 'reply')
must(await cleo.post('/c/lobby/general/t/1', { body: '>>2 thank you. I bring the leaflets; *please* nobody post photos of faces.' }), 'reply')
must(await cleo.post('/c/lobby/general', { title: 'Minutes of the last meeting', body: 'Three points: the rota, the fund, the next meeting.' }), 'thread')
const raise = async (c: Client, fields: Record<string, string>) => {
  await c.get(`/c/lobby/questions/new?kind=${fields.kind}`)
  const r = await c.post('/c/lobby/questions', fields)
  must(r, `raise ${fields.kind}`)
  return Number(r.res.headers.get('location')!.split('/').pop())
}
const vote = async (c: Client, q: number, choice: string) => {
  await c.get(`/c/lobby/questions/${q}`)
  await c.post(`/c/lobby/questions/${q}/ballot`, { choice })
  await c.post(`/c/lobby/questions/${q}/ballot`, { choice, confirm: 'yes' })
}
const decided = await raise(ana, { kind: 'amend_line', change: 'add', principle: '1', text: 'No photos of faces, ever.', argument: 'A photo outlives the day it was taken.' })
for (const c of [ana, ben, cleo]) await vote(c, decided, 'yes')
const open = await raise(ben, { kind: 'remove_post', board: 'general', thread: '1', number: '3', principle: '1', argument: 'It names a place and a time in public.' })
await vote(ben, open, 'yes')

const http = serve({ fetch: board.app.fetch, hostname: '127.0.0.1', port: 0 })
await once(http, 'listening')
const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

// Page types: [name, address, seen by a voter (their session) or by a reader without one].
const PAGES: [string, string, 'voter' | 'reader'][] = [
  ['home', '/', 'reader'],
  ['cell', '/c/lobby', 'reader'],
  ['board', '/c/lobby/general', 'voter'],
  ['thread', '/c/lobby/general/t/1', 'voter'],
  ['search', '/search?q=banner', 'reader'],
  ['identity', '/identity', 'voter'],
  ['take-identity', '/identity', 'reader'],
  ['questions', '/c/lobby/questions', 'voter'],
  ['question', `/c/lobby/questions/${open}`, 'voter'],
  ['decision', `/c/lobby/questions/${decided}`, 'reader'],
  ['decisions', '/c/lobby/decisions', 'reader'],
  ['line', '/c/lobby/line', 'reader'],
  ['raise', '/c/lobby/questions/new?kind=amend_line', 'voter'],
  ['letters', '/c/lobby/letters/new', 'voter'],
  ['key-transitions', '/c/lobby/key-transitions', 'reader'],
  ['privacy', '/privacy', 'reader'],
  ['not-found', '/c/lobby/general/t/99', 'reader'],
]
// What the README shows: every page type in English on a phone, the main ones on a desktop, and
// the thread and the board in Spanish and Arabic at both widths.
const inReadme = (lang: string, name: string, width: number) =>
  lang === 'en' ? width === 390 || ['board', 'thread', 'question', 'identity'].includes(name) : ['thread', 'board'].includes(name)

// Debian's Chromium, as the browser tests launch it (tests/support/browser.ts, which needs vitest).
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], headless: true })
const session = (c: Client) => [...c.cookies].map(([name, value]) => ({ name, value, url: base }))
let written = 0
try {
  for (const lang of LANGS) {
    for (const js of withJs ? [false, true] : [false]) {
      for (const width of [1280, 390]) {
        for (const [kind, cookies] of [['voter', session(ana)], ['reader', []]] as const) {
          const context = await browser.newContext({ javaScriptEnabled: js, baseURL: base, viewport: { width, height: width === 390 ? 844 : 900 } })
          await context.addCookies([...cookies, { name: 'cb_lang', value: lang, url: base }])
          const page = await context.newPage()
          for (const [name, path, who] of PAGES) {
            if (who !== kind || (!all && !inReadme(lang, name, width))) continue
            await page.goto(path)
            await page.screenshot({ path: join(outDir, `${lang}-${name}-${width}${js ? '-js' : ''}.png`), fullPage: all })
            written++
          }
          await context.close()
        }
      }
    }
  }
} finally {
  await browser.close()
  http.close()
  await board.close()
}
console.log(`${written} screenshots in ${outDir}`)
