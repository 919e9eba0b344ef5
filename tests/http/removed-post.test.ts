import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportCell } from '../../src/services/archive/export.ts'
import { removePost } from '../../src/services/forget.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard } from '../support/app.ts'
import { heldKey } from '../support/keys.ts'

// A post the cell removed leaves its number behind: the decision log links to it, and a reader may
// have kept its address. Its address says it was removed (410) and leads back to its thread, where
// a number that never was is still a plain 404. Nothing of the post itself is told.
let board: Awaited<ReturnType<typeof makeBoard>>
let thread: string
beforeAll(async () => {
  board = await makeBoard()
  const c = board.client()
  await c.takeIdentity()
  thread = await c.startThread('/c/lobby/general', 'Gaps', 'first words')
  await c.get(thread)
  for (const body of ['second-words-marker', 'third words', 'fourth words', 'fifth words']) expect((await c.post(thread, { body })).res.status).toBe(303)
})
afterAll(() => board.close())

describe('the address of a removed post', () => {
  it('answers 410 saying the post was removed, with the way back to its thread; a number never given is still a 404', async () => {
    const c = board.client()
    // Before: post 2 is there, at its address and in its signed text.
    expect((await c.get(`${thread}/p/2`)).res.status).toBe(303)
    expect((await c.get(`${thread}/p/2.asc`)).text).toContain('second-words-marker')
    const n = Number(thread.split('/').pop())
    expect(await removePost(board.deps, { cell: 'lobby', board: 'general', thread: n, number: 2 })).not.toBeNull()
    for (const path of [`${thread}/p/2`, `${thread}/p/2.asc`]) {
      const { res, text } = await c.get(path)
      expect(res.status, path).toBe(410)
      expect(text, path).toContain('<h1>Removed</h1>')
      expect(text, path).toContain('Post 2 of this thread was removed.')
      expect(text, path).toContain(`<a href="${thread}">Go to the thread</a>`)
      expect(text, path).not.toContain('second-words-marker')
    }
    // Posts 1 and 3 are where they were; 6 was never given.
    expect((await c.get(`${thread}/p/3`)).res.status).toBe(303)
    const never = await c.get(`${thread}/p/6`)
    expect(never.res.status).toBe(404)
    expect(never.text).not.toContain('Go to the thread')
  })
})

describe('a thread page with removed posts', () => {
  it('says where they were, one or several, between the posts around them; a page without gaps says nothing of the kind', async () => {
    const c = board.client()
    const gaps = (text: string) => [...text.matchAll(/<p class="hint">((?:Post|Posts) [^<]*removed\.)<\/p>/g)].map((m) => m[1])
    const order = (text: string) => [...text.matchAll(/<article id="p(\d+)"|<p class="hint">Posts? (\d+)/g)].map((m) => (m[1] ? `p${m[1]}` : `gap${m[2]}`))
    const n = Number(thread.split('/').pop())
    // Post 2 is gone (the test above); 1, 3, 4, 5 are there.
    let page = (await c.get(thread)).text
    expect(gaps(page)).toEqual(['Post 2 was removed.'])
    expect(order(page)).toEqual(['p1', 'gap2', 'p3', 'p4', 'p5'])
    // Two together, and the first post: each run said once, where it was.
    for (const number of [1, 4]) expect(await removePost(board.deps, { cell: 'lobby', board: 'general', thread: n, number })).not.toBeNull()
    page = (await c.get(thread)).text
    expect(gaps(page)).toEqual(['Posts 1–2 were removed.', 'Post 4 was removed.'])
    expect(order(page)).toEqual(['gap1', 'p3', 'gap4', 'p5'])
    // The latest posts (the spam just removed, most often): said after the last one there.
    await c.takeIdentity()
    for (const number of [6, 7]) {
      await c.get(thread)
      expect((await c.post(thread, { body: `post ${number}` })).res.status).toBe(303)
    }
    expect(order((await c.get(thread)).text)).toEqual(['gap1', 'p3', 'gap4', 'p5', 'p6', 'p7'])
    for (const number of [6, 7]) expect(await removePost(board.deps, { cell: 'lobby', board: 'general', thread: n, number })).not.toBeNull()
    page = (await c.get(thread)).text
    expect(gaps(page)).toEqual(['Posts 1–2 were removed.', 'Post 4 was removed.', 'Posts 6–7 were removed.'])
    expect(order(page)).toEqual(['gap1', 'p3', 'gap4', 'p5', 'gap6'])
    // A thread without removals has none.
    const other = board.client()
    await other.takeIdentity()
    const whole = await other.startThread('/c/lobby/general', 'Whole', 'all here')
    await other.get(whole)
    expect((await other.post(whole, { body: 'still here' })).res.status).toBe(303)
    expect(gaps((await c.get(whole)).text)).toEqual([])
    // The cell's archive says them where they were too.
    const work = mkdtempSync(join(tmpdir(), 'cellboard-gaps-'))
    try {
      // An archive is signed with the cell's key: the cell needs one.
      await setCellKey(board.deps, { cell: 'lobby', armoredKey: (await heldKey()).publicKey })
      await exportCell(board.deps, { cell: 'lobby', out: join(work, 'archive') })
      const archived = readFileSync(join(work, 'archive', 'b', 'general', 't', `${n}.html`), 'utf8')
      expect(order(archived)).toEqual(['gap1', 'p3', 'gap4', 'p5', 'gap6'])
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })
})

describe('removed posts across the edge between two pages of a thread', () => {
  it('are said at the top of the page after them, once; the page before says nothing of them', async () => {
    // Three posts a page, so a short thread has pages; posts 1–8, then 4 and 5 removed: page 1
    // shows 1–3, page 2 shows 6–8, and nothing on either said where 4 and 5 were.
    const small = await makeBoard({ POSTS_PER_PAGE: '3' })
    try {
      const c = small.client()
      await c.takeIdentity()
      const path = await c.startThread('/c/lobby/general', 'Edges', 'post 1')
      for (let i = 2; i <= 8; i++) {
        await c.get(path)
        expect((await c.post(path, { body: `post ${i}` })).res.status).toBe(303)
      }
      const n = Number(path.split('/').pop())
      const order = (text: string) => [...text.matchAll(/<article id="p(\d+)"|<p class="hint">Posts? (\d+)[^<]*removed\.<\/p>/g)].map((m) => (m[1] ? `p${m[1]}` : `gap${m[2]}`))
      // Before: page 2 shows 4–6 (the test would pass on a page that never had them).
      expect(order((await c.get(`${path}?page=2`)).text)).toEqual(['p4', 'p5', 'p6'])
      for (const number of [4, 5]) expect(await removePost(small.deps, { cell: 'lobby', board: 'general', thread: n, number })).not.toBeNull()
      expect(order((await c.get(path)).text)).toEqual(['p1', 'p2', 'p3'])
      const second = (await c.get(`${path}?page=2`)).text
      expect(order(second)).toEqual(['gap4', 'p6', 'p7', 'p8'])
      expect(second).toContain('<p class="hint">Posts 4–5 were removed.</p>')
      // A page whose first post follows the page before's last says nothing: with 3 removed as
      // well, page 1 is 1, 2, the run 3–5 and 6; page 2 begins at 7, right after it.
      expect(await removePost(small.deps, { cell: 'lobby', board: 'general', thread: n, number: 3 })).not.toBeNull()
      expect(order((await c.get(path)).text)).toEqual(['p1', 'p2', 'gap3', 'p6'])
      expect(order((await c.get(`${path}?page=2`)).text)).toEqual(['p7', 'p8'])
      // The post's own address still finds its page.
      expect((await c.get(`${path}/p/7`)).res.headers.get('location')).toBe(`${path}?page=2#p7`)
    } finally {
      await small.close()
    }
  })
})
