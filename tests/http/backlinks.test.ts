import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBoard } from '../../src/services/cells.ts'
import { purge, removePost } from '../../src/services/forget.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { questionsOf } from '../support/questions.ts'

// Backlinks and >>N: each post lists the later posts that quote it, and a >>N links only to a
// post that exists. Both are worked out when a post is written or removed (post_reference, and
// the post's stored HTML), so the thread page stays one cached copy for every reader.

let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now()
  board = await makeBoard({ POSTS_PER_PAGE: '3' }, () => now)
})
afterEach(() => board.close())

/** A thread on the general board with these posts, each from its own identity; its path. */
async function threadWith(bodies: string[], boardSlug = 'general'): Promise<{ path: string; c: Client }> {
  const c = board.client()
  await c.takeIdentity()
  await c.get(`/c/lobby/${boardSlug}`)
  const path = (await c.post(`/c/lobby/${boardSlug}`, { title: 'Backlinks', body: bodies[0]! })).res.headers.get('location')!.split('?')[0]!
  for (const body of bodies.slice(1)) {
    await c.get(path)
    const r = await c.post(path, { body })
    expect(r.res.status).toBe(303)
  }
  return { path, c }
}

/** Post N's article on a page, as it was served. */
const article = (page: string, n: number) => new RegExp(`<article id="p${n}"[^>]*>[\\s\\S]*?</article>`).exec(page)?.[0] ?? ''
const footer = (page: string, n: number) => /<footer class="replies"><p>([\s\S]*?)<\/p><\/footer>/.exec(article(page, n))?.[1] ?? null

describe('backlinks', () => {
  it('each post lists the later posts that quote it, once each, linked in the page or by address across pages', async () => {
    const { path, c } = await threadWith(['first', 'second', '>>1 and >>2, and >>1 again', 'on >>1 too'])
    const page1 = (await c.get(path)).text
    // Posts 1–3 on page 1 (3 a page): post 3 is here, post 4 on page 2.
    expect(footer(page1, 1)).toBe(`Replies: <a class="ref" href="#p3">&gt;&gt;3</a> <a class="ref" href="${path}/p/4">&gt;&gt;4</a>`)
    expect(footer(page1, 2)).toBe('Replies: <a class="ref" href="#p3">&gt;&gt;3</a>')
    expect(footer(page1, 3)).toBeNull()
    expect(footer((await c.get(`${path}?page=2`)).text, 4)).toBeNull()
    expect(await board.count('post_reference')).toBe(3)
  })

  it('a reply that quotes a post shows on that post’s cached page at once (the write makes it stale)', async () => {
    const { path, c } = await threadWith(['first'])
    const anonymous = board.client()
    expect(footer((await anonymous.get(path)).text, 1)).toBeNull()
    expect(footer((await c.get(path)).text, 1)).toBeNull()
    await c.post(path, { body: 'replying to >>1' })
    expect(footer((await anonymous.get(path)).text, 1)).toBe('Replies: <a class="ref" href="#p2">&gt;&gt;2</a>')
    expect(footer((await c.get(path)).text, 1)).toBe('Replies: <a class="ref" href="#p2">&gt;&gt;2</a>')
  })
})

describe('>>N to no post', () => {
  it('is plain text: a number never written, the post itself, a later post, or inside code', async () => {
    const { path, c } = await threadWith(['see >>1 and >>2', 'on >>1, >>2, >>3 and >>99; `>>1`'])
    const page = (await c.get(path)).text
    expect(article(page, 1)).toContain('see &gt;&gt;1 and &gt;&gt;2')
    expect(article(page, 2)).toContain(`on <a class="ref" href="${path}/p/1">&gt;&gt;1</a>, &gt;&gt;2, &gt;&gt;3 and &gt;&gt;99; <code>&gt;&gt;1</code>`)
    // A post written later does not turn an earlier text into a link.
    await c.post(path, { body: 'a third' })
    expect(article((await c.get(path)).text, 2)).toContain('&gt;&gt;3 and')
    expect(footer((await c.get(path)).text, 2)).toBeNull()
  })

  it('a reply’s preview links >>N as posting it would: only to a post there is', async () => {
    const { path, c } = await threadWith(['first'])
    const { res, text } = await c.post(`${path}/preview`, { body: 'on >>1, not >>2' })
    expect(res.status).toBe(200)
    const preview = /<section class="preview"[\s\S]*?<\/section>/.exec(text)?.[0] ?? ''
    expect(preview).toContain(`on <a class="ref" href="${path}/p/1">&gt;&gt;1</a>, not &gt;&gt;2`)
  })

  it('![alt](url) in a post is a plain link labelled with its alt text, with no "!" and no image', async () => {
    const { path, c } = await threadWith(['the map: ![river map](https://example.org/map.png)'])
    const a = article((await c.get(path)).text, 1)
    expect(a).toContain('the map: <a href="https://example.org/map.png" rel="nofollow noopener noreferrer">river map</a>')
    expect(a).not.toMatch(/<img|!<a/)
  })
})

describe('removal keeps them true', () => {
  it('the operator removes a quoted post: its >>N in other posts becomes text, the rest stay links; removing a reply drops it from the lists', async () => {
    const { path, c } = await threadWith(['first', 'second', '>>1 and >>2', 'also >>2'])
    const thread = Number(path.split('/').pop())
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread, number: 1 })
    let page = (await c.get(path)).text
    expect(article(page, 3)).toContain(`<p>&gt;&gt;1 and <a class="ref" href="${path}/p/2">&gt;&gt;2</a></p>`)
    expect(footer(page, 2)).toBe('Replies: <a class="ref" href="#p3">&gt;&gt;3</a> <a class="ref" href="#p4">&gt;&gt;4</a>')
    expect(await board.count('post_reference')).toBe(2)

    await removePost(board.deps, { cell: 'lobby', board: 'general', thread, number: 3 })
    page = (await c.get(path)).text
    expect(footer(page, 2)).toBe('Replies: <a class="ref" href="#p4">&gt;&gt;4</a>')
    expect(await board.count('post_reference')).toBe(1)
  })

  it('a cell’s decision removes a quoted post: the post quoting it no longer links to it', async () => {
    const q = questionsOf(board)
    const [a, b] = [await q.disposableOnRoster(), await q.disposableOnRoster()]
    const { path, c } = await threadWith(['off the line', 'I disagree with >>1'])
    const thread = path.split('/').pop()!
    const question = await q.raised(a.c, { kind: 'remove_post', board: 'general', thread, number: '1', principle: '1', argument: 'It attacks a person.' })
    await q.voteOk(a, question, 'yes')
    await q.voteOk(b, question, 'yes')
    expect((await c.get(`/c/lobby/questions/${question}`)).text).toContain('Decision: Adopted')
    const page = (await c.get(path)).text
    expect(article(page, 1)).toBe('')
    expect(article(page, 2)).toContain('<p>I disagree with &gt;&gt;1</p>')
    expect(await board.count('post_reference')).toBe(0)
  })

  it('the purge forgets a thread past its board’s retention with its references', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'brief', name: 'Brief', description: '', retentionDays: 1 })
    await threadWith(['first', 'on >>1'], 'brief')
    const kept = await threadWith(['first', 'on >>1'])
    expect(await board.count('post_reference')).toBe(2)
    now += 3 * 86_400_000
    expect((await purge(board.deps)).threads).toBe(1)
    expect(await board.count('post_reference')).toBe(1)
    const c = board.client()
    expect(footer((await c.get(kept.path)).text, 1)).toBe('Replies: <a class="ref" href="#p2">&gt;&gt;2</a>')
  })
})
