import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard, TEST_DIALECT, type Client } from '../support/app.ts'

// A reply used to drop every cached page of its thread. On a long thread the first pages, the
// ones readers arrive at, were then built again after every post (issue 15: about a megabyte of
// garbage each, the sawtooth in bench/memory.ts). A page shows its posts, their replies (later
// posts that quote them) and the pager, so a reply that quotes nothing and begins no new page
// changes only the page it lands on. Each test changes a post behind the cache's back (nothing
// tells it): a kept page still shows the old text, a page built again shows the new.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard({ POSTS_PER_PAGE: '3' })
})
afterEach(() => board.close())

async function threadOf(n: number): Promise<{ path: string; c: Client }> {
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  const path = (await c.post('/c/lobby/general', { title: 'Long', body: 'post one' })).res.headers.get('location')!.split('?')[0]!
  for (let i = 2; i <= n; i++) await reply(c, path, `post ${i}`)
  return { path, c }
}

async function reply(c: Client, path: string, body: string): Promise<void> {
  await c.get(path)
  const { res } = await c.post(path, { body })
  expect(res.status).toBe(303)
}

const behindTheCache = (from: string, to: string) => board.column(`update post set body_html = replace(body_html, '${from}', '${to}')`)

describe(`a reply drops only the pages it changes (${TEST_DIALECT})`, () => {
  it('one that quotes nothing, on the last page: the earlier pages stay kept, the last shows it', async () => {
    const { path, c } = await threadOf(4)
    const reader = board.client()
    expect((await reader.get(path)).text).toContain('post one')
    expect((await reader.get(`${path}?page=2`)).text).toContain('post 4')
    await behindTheCache('post one', 'changed one')
    await reply(c, path, 'post 5')
    // Page 1 is the page that was kept: the post changed behind the cache is as it was.
    const first = (await reader.get(path)).text
    expect(first).toContain('post one')
    expect(first).not.toContain('changed one')
    const last = (await reader.get(`${path}?page=2`)).text
    expect(last).toContain('post 5')
  })

  it('one that quotes an earlier post: that post’s page is built again, with the reply listed', async () => {
    const { path, c } = await threadOf(4)
    const reader = board.client()
    expect((await reader.get(path)).text).toContain('post one')
    await behindTheCache('post one', 'changed one')
    await reply(c, path, 'on >>1')
    const first = (await reader.get(path)).text
    expect(first).toContain('changed one')
    expect(first).toContain(`<a class="ref" href="${path}/p/5">&gt;&gt;5</a>`)
  })

  it('one that begins a new page: every page is built again, and its pager names the new page', async () => {
    const { path, c } = await threadOf(6)
    const reader = board.client()
    const before = (await reader.get(path)).text
    expect(before).toContain('post one')
    expect(before).not.toContain(`${path}?page=3`)
    await behindTheCache('post one', 'changed one')
    await reply(c, path, 'post 7')
    const first = (await reader.get(path)).text
    expect(first).toContain('changed one')
    expect(first).toContain(`${path}?page=3`)
    expect((await reader.get(`${path}?page=3`)).text).toContain('post 7')
  })
})
