import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removePost } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'

// The board page (issue 14): each thread with an excerpt of its opening post, its post count and
// its last activity; the form to start a thread reachable from the top; numbering across pages.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeAll(async () => {
  board = await makeBoard({ THREADS_PER_PAGE: '2' })
})
afterAll(() => board.close())

async function startThread(title: string, body: string): Promise<string> {
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  const { res } = await c.post('/c/lobby/general', { title, body })
  expect(res.status).toBe(303)
  return res.headers.get('location')!
}

/** The list item of the thread with this title, as the board page shows it. */
const itemOf = (text: string, title: string) => {
  const item = text.split('<li').find((li) => li.includes(`>${title}</a>`))
  expect(item, title).toBeDefined()
  return item!
}

describe('GET /c/:cell/:board', () => {
  it('each thread shows the start of its opening post as escaped plain text, cut short, with its post count and coarse last activity', async () => {
    const long = `<script>alert(1)</script> **bold** and   spaced\n\nlines ${'word '.repeat(100)}END_OF_BODY`
    await startThread('Excerpted', long)
    const { text } = await board.client().get('/c/lobby/general')
    const item = itemOf(text, 'Excerpted')
    // Without its Markdown ("**bold**" reads "bold"), its would-be HTML shown as text.
    expect(item).toContain('&lt;script&gt;alert(1)&lt;/script&gt; bold and spaced lines word')
    expect(item).not.toContain('<script>')
    expect(item).not.toContain('END_OF_BODY')
    expect(item).toMatch(/word …<\/p>/)
    expect(item).toMatch(/<small>1 post · last [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:00 UTC<\/small>/)
  })

  it('a short opening post is shown whole, without an ellipsis', async () => {
    await startThread('Short one', 'Just this.')
    const { text } = await board.client().get('/c/lobby/general')
    expect(itemOf(text, 'Short one')).toContain('<p class="excerpt">Just this.</p>')
  })

  it('a link at the top leads to the form to start a thread at the bottom', async () => {
    const c = board.client()
    await c.takeIdentity()
    const { text } = await c.get('/c/lobby/general')
    const link = text.indexOf('<a href="#new-thread">Start a thread</a>')
    expect(link).toBeGreaterThan(0)
    expect(link).toBeLessThan(text.indexOf('id="threads"'))
    expect(text.indexOf('<section id="new-thread">')).toBeGreaterThan(text.indexOf('id="threads"'))
    expect(text).toContain('<form method="post" action="/c/lobby/general"')
  })

  it('numbering goes on across pages: page 2 of 2-per-page starts at 3', async () => {
    await startThread('Paged A', 'a')
    await startThread('Paged B', 'b')
    const first = await board.client().get('/c/lobby/general')
    expect(first.text).toContain('<ol id="threads" class="threads" start="1">')
    const second = await board.client().get('/c/lobby/general?page=2')
    expect(second.res.status).toBe(200)
    expect(second.text).toContain('<ol id="threads" class="threads" start="3">')
    expect(second.text).toContain('>Excerpted</a>') // the oldest activity: 4 threads, 2 a page
    expect((await board.client().get('/c/lobby/general?page=9')).res.status).toBe(404)
  })

  it('a reply updates the count and activity that readers without a session see (the cached whole page is dropped)', async () => {
    const path = await startThread('Replied to', 'first')
    const reader = board.client()
    expect(itemOf((await reader.get('/c/lobby/general')).text, 'Replied to')).toContain('<small>1 post')
    await reader.get('/c/lobby/general') // now served whole from the cache
    const c = board.client()
    await c.takeIdentity()
    await c.get(path)
    expect((await c.post(path, { body: 'a reply' })).res.status).toBe(303)
    const after = (await reader.get('/c/lobby/general')).text
    expect(itemOf(after, 'Replied to')).toContain('<small>2 posts')
    // Still the opening post's text, not the reply's.
    expect(itemOf(after, 'Replied to')).toContain('<p class="excerpt">first</p>')
  })

  it('a thread whose opening post was removed shows no excerpt', async () => {
    const path = await startThread('Opening removed', 'REMOVED_OPENING')
    const c = board.client()
    await c.takeIdentity()
    await c.get(path)
    expect((await c.post(path, { body: 'stays' })).res.status).toBe(303)
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread: Number(path.split('/').pop()), number: 1 })
    const { text } = await board.client().get('/c/lobby/general')
    const item = text.split('<li').find((li) => li.includes(`href="${path}"`))
    expect(item).toContain('<small>1 post')
    expect(item).not.toContain('class="excerpt"')
    expect(text).not.toContain('REMOVED_OPENING')
  })

  it('an opening post of few words in much HTML (many long links) ends with an ellipsis, its cut word left out', async () => {
    // 30 links of about 125 characters of HTML each: the excerpt is read from the HTML's start.
    const links = Array.from({ length: 30 }, (_, i) => `[w${i}](https://example.org/${'p'.repeat(60)})`).join(' ')
    await startThread('Many links', links)
    const { text } = await board.client().get('/c/lobby/general')
    const excerpt = /<p class="excerpt">([^<]*)<\/p>/.exec(itemOf(text, 'Many links'))?.[1]
    expect(excerpt).toMatch(/^w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 (w\d+ )*…$/)
    expect(excerpt).not.toContain('w29')
  })
})
