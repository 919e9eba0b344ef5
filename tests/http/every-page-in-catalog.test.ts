import { parse } from 'parse5'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { questionsOf } from '../support/questions.ts'

// Every page a person reads, rendered in the tests' pseudo-language (CELLBOARD_PSEUDO_LANG=1,
// src/i18n): English with every catalog message wrapped in ⟦ ⟧. What is left on a page once the
// messages, the data people wrote (titles, bodies, names, principles), pseudonyms, fingerprints,
// times and the language switch are taken away must have no words: a word there was written
// into the code instead of the catalog, and a Spanish or Arabic reader would meet it in English.
type Node = { nodeName: string; value?: string; attrs?: { name: string; value: string }[]; childNodes?: Node[]; content?: Node }
const SKIP = new Set(['script', 'style', 'code', 'pre', 'kbd', 'samp', 'textarea', 'time'])
const READ_ATTRS = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label'])

/** What a person reads on a page: its text (outside code, times and the language switch) and the attributes they read. */
function readable(html: string): string[] {
  const out: string[] = []
  const walk = (n: Node) => {
    if (SKIP.has(n.nodeName)) return
    if (n.nodeName === 'nav' && n.attrs?.some((a) => a.name === 'class' && a.value === 'langs')) return
    if (n.nodeName === '#text') out.push(n.value ?? '')
    for (const a of n.attrs ?? []) {
      if (READ_ATTRS.has(a.name)) out.push(a.value)
      if (a.name === 'value' && n.attrs?.some((b) => b.name === 'type' && (b.value === 'submit' || b.value === 'button'))) out.push(a.value)
    }
    for (const c of n.childNodes ?? []) walk(c)
    if (n.content) walk(n.content)
  }
  walk(parse(html) as unknown as Node)
  return out
}

/** The words left once messages and data are taken out ('' when none). */
export function leftover(text: string, data: readonly string[]): string {
  let s = text
  // Innermost messages first: a message may hold another (a placeholder filled with a message).
  for (let before = ''; before !== s; ) {
    before = s
    s = s.replace(/⟦[^⟦⟧]*⟧/g, ' ')
  }
  for (const d of data) if (d) s = s.split(d).join(' ')
  s = s.replace(/\b[0-9a-f]{16,}\b/gi, ' ').replace(/\bcellboard\b/g, ' ')
  return /[A-Za-z\u0600-\u06FF]{2,}/.test(s) ? s.replace(/\s+/g, ' ').trim() : ''
}

describe('every page type: no word outside the catalog', () => {
  let board: Awaited<ReturnType<typeof makeBoard>>
  const pages = new Map<string, string>()
  const data: string[] = []

  beforeAll(async () => {
    process.env.CELLBOARD_PSEUDO_LANG = '1'
    board = await makeBoard()
    const q = questionsOf(board)
    const v = await q.threeVoters()
    const reader = (c: Client) => (c.cookies.set('cb_lang', 'qps'), c)
    const poster = reader(v.disposable.c)
    reader(v.gpg.c)
    const anonymous = reader(board.client())
    const stranger = reader(board.client())
    const strangerFpr = await stranger.takeIdentity()
    expect((await poster.post('/c/lobby/general', { title: 'Zqxtitle', body: 'Zqxbody' })).res.status).toBe(303)
    expect((await poster.post('/c/lobby/general/t/1', { body: 'Zqxreply >>1' })).res.status).toBe(303)
    const question = await q.raised(v.gpg.c, { kind: 'remove_post', board: 'general', thread: '1', number: '2', principle: '1', argument: 'Zqxargument' })
    await q.voteOk(v.gpg, question, 'yes')
    const closed = await q.raised(v.gpg.c, { kind: 'amend_line', change: 'add', principle: '1', text: 'Zqxprinciple', argument: 'Zqxwhy' })
    // Voted until it is decided (a question closes once its outcome is settled).
    for (const voter of [v.gpg, v.disposable, v.other]) if ((await q.vote(voter, closed, 'yes')).res.status !== 303) break

    const get = async (name: string, c: Client, path: string, status = 200) => {
      const { res, text } = await c.get(path)
      expect(res.status, `${name} ${path}`).toBe(status)
      pages.set(`${name} ${path}`, text)
    }
    for (const [c, who] of [[anonymous, 'anonymous'], [poster, 'voter']] as const) {
      for (const path of ['/', '/c/lobby', '/c/lobby/general', '/c/lobby/general?page=1', '/c/lobby/general/t/1', '/search?q=Zqxbody', '/c/lobby/search?q=Zqxreply', '/identity', '/questions', '/c/lobby/questions', '/c/lobby/questions/new', '/c/lobby/questions/new?kind=remove_post', '/c/lobby/questions/new?kind=amend_line', '/c/lobby/questions/new?kind=admit_key', '/c/lobby/questions/new?kind=remove_key', `/c/lobby/questions/${question}`, `/c/lobby/questions/${closed}`, '/c/lobby/decisions', '/c/lobby/line', '/c/lobby/key-transitions', '/privacy']) {
        await get(who, c, path)
      }
      await get(who, c, '/c/lobby/general/t/99', 404)
      await get(who, c, '/nowhere', 404)
    }
    await get('stranger', stranger, '/c/lobby/letters/new', (await stranger.request('/c/lobby/letters/new')).status)
    // A refused form: the page that shows the problem beside the field.
    const refused = await poster.post('/c/lobby/general', { title: ' ', body: '' })
    pages.set('refused new thread', refused.text)
    const ballot = await v.disposable.c.post(`/c/lobby/questions/${question}/ballot`, { choice: 'no' })
    pages.set('ballot to confirm', ballot.text)

    for (const table of ['cell', 'board']) data.push(...((await board.column(`select name from ${table}`)) as string[]))
    // A cell's tiers are named by its operator (the defaults are "member" and "voter").
    data.push(...((await board.column('select tiers from cell')) as string[]).flatMap((t) => t.split(',')))
    data.push(...((await board.column('select description from board')) as string[]), ...((await board.column('select text from principle')) as string[]))
    // Operator actions are stored as written, in the cell's language then (the decision log shows
    // each fingerprint in them as a pseudonym): the words between the fingerprints are data.
    data.push(...((await board.column('select action from operator_action')) as string[]).flatMap((a) => a.split(/[0-9a-f]{40}/)).map((s) => s.trim()))
    for (const fpr of [v.disposable.fpr, v.gpg.fpr, v.other.fpr]) data.push(pseudonymOf(fpr).handle, pseudonymOf(fpr).short)
    data.push(pseudonymOf(strangerFpr).handle, pseudonymOf(strangerFpr).short)
    data.push(...(await Promise.all((await board.column('select fingerprint from public_key')) as string[])).flatMap((f) => [pseudonymOf(f).handle, pseudonymOf(f).short]))
    data.sort((a, b) => b.length - a.length)
  }, 120_000)
  afterAll(async () => {
    delete process.env.CELLBOARD_PSEUDO_LANG
    await board?.close()
  })

  it('the pages were rendered in the pseudo-language (the messages are marked)', () => {
    expect(pages.size).toBeGreaterThan(40)
    for (const [name, html] of pages) expect(html, name).toContain('⟦')
  })

  it('every word a person reads on them is a catalog message or data', () => {
    const found: string[] = []
    for (const [name, html] of pages) {
      for (const text of readable(html)) {
        const left = leftover(text, ['Zqxtitle', 'Zqxbody', 'Zqxreply', 'Zqxargument', 'Zqxprinciple', 'Zqxwhy', ...data])
        if (left) found.push(`${name}: ${left.slice(0, 120)}`)
      }
    }
    expect([...new Set(found)]).toEqual([])
  })

  it('the test itself: a word outside the markers is found, data and messages are not', () => {
    expect(leftover('⟦Reply⟧ Zqxtitle', ['Zqxtitle'])).toBe('')
    expect(leftover('⟦Replies: ⟦#2⟧⟧ 3 votes', [])).toBe('3 votes')
    expect(readable('<p>⟦a⟧ <code>gpg --verify</code> <time>Nov 22</time></p><input type="submit" value="Send">')).toContain('Send')
  })
})
