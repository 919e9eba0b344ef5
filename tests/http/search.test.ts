import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard } from '../../src/services/cells.ts'
import { appendPost } from '../../src/db/posts.ts'
import { makeBoard, type Client } from '../support/app.ts'

// Search (issue 13): over posts and thread titles on the boards the reader may read, on either
// dialect; the match marked in escaped text; every bad query a clear 422 beside the field.

type Board = Awaited<ReturnType<typeof makeBoard>>
let board: Board
let member: Client
let anon: Client
let outsider: Client
const results = (text: string) => [...text.matchAll(/<li><a href="([^"]+)">/g)].map((m) => m[1])

beforeAll(async () => {
  board = await makeBoard()
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', post: 'member', retentionDays: null })
  member = board.client()
  await member.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await member.request('/identity/public-key.asc')).text(), tier: 'member' })
  anon = board.client()
  outsider = board.client()
  await outsider.takeIdentity()
  const start = async (slug: string, title: string, body: string) => {
    await member.get(`/c/lobby/${slug}`)
    const r = await member.post(`/c/lobby/${slug}`, { title, body })
    expect(r.res.status).toBe(303)
    return r.res.headers.get('location')!
  }
  const t1 = await start('general', 'Bicycles and other matters', 'The zephyrine committee meets on Tuesday. <script>alert(1)</script> zephyrine again')
  await member.get(t1)
  expect((await member.post(t1, { body: 'A reply about zephyrine & <b>tags</b>' })).res.status).toBe(303)
  await start('general', 'Crêpes zephyrine', 'Nothing here matches the other word')
  await start('inner', 'Inner zephyrine plans', 'Secret zephyrine body, members only')
  for (let i = 0; i < 25; i++) await start('general', `Paging thread ${i}`, `quokkaword number ${i}`)
  await start('general', 'Marked up', '> a quoted **vexilloid** line\n\n- one `item`\n- [a link](https://example.org) here')
})
afterAll(() => board.close())

describe('GET /search', () => {
  it('without a query → 200 and the form; the header and the cell page carry a search form', async () => {
    const { res, text } = await anon.get('/search')
    expect(res.status).toBe(200)
    expect(text).toContain('name="q"')
    expect(text).toContain('action="/search"')
    expect((await anon.get('/c/lobby')).text).toContain('action="/c/lobby/search"')
  })

  it('finds posts by body and opening posts by title, newest first, with the match marked and escaped', async () => {
    const { res, text } = await anon.get('/search?q=zephyrine')
    expect(res.status).toBe(200)
    expect(results(text)).toEqual(['/c/lobby/general/t/2/p/1', '/c/lobby/general/t/1/p/2', '/c/lobby/general/t/1/p/1'])
    expect(text).toContain('Crêpes <mark>zephyrine</mark>')
    expect(text).toContain('The <mark>zephyrine</mark> committee')
    // The poster's text is escaped, never raw; only our <mark> is markup.
    expect(text).not.toContain('<script>alert(1)')
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(text).toContain('&amp; &lt;b&gt;tags&lt;/b&gt;')
  })

  it('a snippet shows what the poster wrote without its Markdown marks (as the board’s excerpts do)', async () => {
    const { text } = await anon.get('/search?q=vexilloid')
    const snippet = /<p class="snippet">([^]*?)<\/p>/.exec(text)![1]!
    expect(snippet).toContain('a quoted <mark>vexilloid</mark> line')
    expect(snippet).toContain('one item')
    expect(snippet).toContain('a link here')
    expect(snippet).not.toMatch(/\*\*|`|&gt; a quoted|\]\(/)
  })

  it('every word must match; case does not matter, accents do (the same on both dialects)', async () => {
    expect(results((await anon.get('/search?q=ZEPHYRINE+tuesday')).text)).toEqual(['/c/lobby/general/t/1/p/1'])
    expect(results((await anon.get('/search?q=CR%C3%8APES')).text)).toEqual(['/c/lobby/general/t/2/p/1'])
    expect(results((await anon.get('/search?q=crepes')).text)).toEqual([])
    expect((await anon.get('/search?q=nowhereword')).text).toContain('Nothing matches.')
  })

  it('a members-only board is searched only for readers at its tier, in every scope', async () => {
    for (const path of ['/search?q=zephyrine', '/c/lobby/search?q=zephyrine', '/search?q=secret', '/search?q=inner+plans']) {
      for (const c of [anon, outsider]) {
        const { res, text } = await c.get(path)
        expect(res.status).toBe(200)
        expect(results(text).filter((r) => r!.includes('/inner/'))).toEqual([])
        expect(text).not.toContain('Secret <mark>')
        expect(text).not.toContain('Inner <mark>')
        expect(text).not.toContain('members only')
      }
    }
    expect(results((await member.get('/search?q=zephyrine')).text)[0]).toBe('/c/lobby/inner/t/1/p/1')
    expect(results((await member.get('/c/lobby/search?q=secret')).text)).toEqual(['/c/lobby/inner/t/1/p/1'])
    // A result from a board read from a tier up says so, as the board's own page does; one from a
    // board anyone reads says nothing.
    const items = (await member.get('/search?q=zephyrine')).text.split('<li>').slice(1)
    const inner = items.filter((li) => li.includes('/inner/'))
    expect(inner).toHaveLength(1)
    expect(inner[0]).toContain('<span class="tag">for member</span>')
    expect(items.filter((li) => !li.includes('/inner/') && li.includes('class="tag"'))).toEqual([])
  })

  it('pages: 20 a page, then the next; a page past the last is empty; deep pages are refused', async () => {
    const one = await anon.get('/search?q=quokkaword')
    expect(results(one.text)).toHaveLength(20)
    expect(one.text).toContain('page=2')
    const two = await anon.get('/search?q=quokkaword&page=2')
    expect(results(two.text)).toHaveLength(5)
    expect(results(two.text).some((r) => results(one.text).includes(r))).toBe(false)
    expect((await anon.get('/search?q=quokkaword&page=3')).text).toContain('No more results.')
    expect((await anon.get('/search?q=quokkaword&page=11')).res.status).toBe(422)
    expect((await anon.get('/search?q=quokkaword&page=x')).res.status).toBe(404)
  })

  it('the language switch comes back to the search\'s words and page; the way to an identity does not carry them', async () => {
    const q = 'crêpes zephyrine'
    for (const path of ['/search', '/c/lobby/search']) {
      const c = board.client()
      const { text } = await c.get(`${path}?q=${encodeURIComponent(q)}&page=1`)
      expect(results(text)).toHaveLength(1)
      const to = text.match(/href="(\/lang\?to=es&amp;next=[^"]+)"/)![1]!.replace(/&amp;/g, '&')
      const res = await c.request(to)
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe(`${path}?q=${encodeURIComponent(q)}&page=1`)
      const back = await c.get(res.headers.get('location')!)
      expect(back.text).toContain('<html lang="es"')
      expect(results(back.text)).toEqual(results(text))
      // "Take an identity" comes back to the search, not to what was searched.
      expect(text).toContain(`<a href="/identity?next=${encodeURIComponent(path)}">`)
      expect(text).not.toMatch(/\/identity\?next=[^"]*zephyrine/)
    }
    // Only a search's words: any other query is dropped on the way back.
    const backTo = async (next: string) => (await board.client().request(`/lang?to=es&next=${encodeURIComponent(next)}`)).headers.get('location')
    expect(await backTo('/c/lobby/general?q=x')).toBe('/')
    expect(await backTo('/search?q=a%22b&page=2')).toBe('/search?q=a%22b&page=2')
    expect(await backTo('/search?q=a<b')).toBe('/')
    expect(await backTo('/search?q=a&b=c')).toBe('/')
    // Cut at 200 characters, never inside one: half an emoji made the page, and its error page, throw.
    for (const path of ['/search', '/c/lobby/search']) {
      const { res, text } = await board.client().get(`${path}?q=${encodeURIComponent('a'.repeat(199) + '😀')}`)
      expect(res.status).toBeLessThan(500)
      expect(text).toContain(`next=${encodeURIComponent(`${path}?q=${encodeURIComponent('a'.repeat(199) + '😀')}`)}`)
    }
  })

  it('/c/:cell/search of a cell that does not exist → 404', async () => {
    expect((await anon.get('/c/nocell/search?q=zephyrine')).res.status).toBe(404)
  })

  const bad: [string, string, number, RegExp | null][] = [
    ['a lone quote', '"', 422, /punctuation/],
    ['an operator', 'AND', 200, null],
    ['NEAR(', 'NEAR(', 200, null],
    ['a star', '*', 422, /punctuation/],
    ['column filter syntax', 'body_source: zephyrine', 200, null],
    ['unbalanced quotes and parens', '"zephyrine (OR', 200, null],
    ['10,000 characters', 'a'.repeat(10_000), 422, /too long/],
    ['only punctuation', '!?.,;:-()[]{}', 422, /punctuation/],
    ['empty', '', 422, /Type a word/],
    ['blanks', '   ', 422, /Type a word/],
    ['too many words', 'a b c d e f g h i j', 422, /at most 8 words/],
    ['a NUL and controls', 'zephyrine\u0000\u0007', 200, null],
  ]
  for (const [what, q, status, message] of bad) {
    it(`a query of ${what} → ${status}, never a 500${message ? ', with the reason beside the field' : ''}`, async () => {
      for (const path of ['/search', '/c/lobby/search']) {
        const { res, text } = await anon.get(`${path}?q=${encodeURIComponent(q)}`)
        expect(res.status).toBe(status)
        if (message) {
          expect(text).toMatch(/<p class="field-error" id="search-q-problem" role="alert">/)
          expect(text).toMatch(message)
          expect(text).toContain('name="q"')
        }
      }
    })
  }
})

describe('the last page shown, with more beyond it', () => {
  it('says that only the first pages are shown, and to add a word (it ended with a bare "newer" link)', async () => {
    const deep = await makeBoard()
    try {
      const c = deep.client()
      await c.takeIdentity()
      await c.get('/c/lobby/general')
      expect((await c.post('/c/lobby/general', { title: 'Deep', body: 'wombatword 0' })).res.status).toBe(303)
      // 205 more matches, written as the write path writes them (through HTTP, the key's limits would take minutes).
      const [first] = await deep.deps.db.selectFrom('post').select(['thread_id', 'key_id', 'created_at']).execute()
      await deep.deps.db.transaction().execute(async (tx) => {
        for (let i = 1; i <= 205; i++) await appendPost(tx, { thread_id: first!.thread_id, key_id: first!.key_id, signing: 'session-attested', body_source: `wombatword ${i}`, signed_text: null, created_at: first!.created_at, body_html: `<p>wombatword ${i}</p>` })
      })
      const notice = 'Only the first 10 pages of results are shown. Add a word to narrow the search.'
      const ninth = await c.get('/search?q=wombatword&page=9')
      expect(ninth.text).not.toContain(notice)
      expect(ninth.text).toContain('page=10')
      const tenth = await c.get('/search?q=wombatword&page=10')
      expect(tenth.res.status).toBe(200)
      expect(results(tenth.text)).toHaveLength(20)
      expect(tenth.text).not.toContain('page=11')
      expect(tenth.text).toContain(`<p id="capped" class="notice" role="status">${notice}</p>`)
    } finally {
      await deep.close()
    }
  })
})
