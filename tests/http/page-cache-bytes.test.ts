import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard, TEST_DIALECT } from '../support/app.ts'

// The page cache was bounded by its number of entries only (2,000). A post may be 20,000
// characters, and a thread page shows 200 of them: anyone who may post can write threads whose
// pages are megabytes each (`&` is five bytes as HTML), and every reader's visit then keeps
// them. 2,000 of those are gigabytes. It is now bounded in bytes too (PAGE_CACHE_MB).

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard({ PAGE_CACHE_MB: '1' })
})
afterEach(() => board.close())

describe(`the page cache is bounded in bytes (${TEST_DIALECT})`, () => {
  it('threads of long posts, read one after another, do not stay past PAGE_CACHE_MB: the first is built afresh', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    // 19,000 ampersands: about 95 KB as HTML, so each thread's page is kept in about 200 KB (its
    // posts, and the whole page around them).
    const threads: string[] = []
    for (let i = 0; i < 8; i++) {
      const { res } = await c.post('/c/lobby/general', { title: `Long ${i}`, body: `${'&'.repeat(19_000)} marker${i}` })
      expect(res.status).toBe(303)
      threads.push(res.headers.get('location')!)
    }
    const reader = board.client()
    expect((await reader.get(threads[0]!)).text).toContain('marker0')
    // Changed behind the cache's back (nothing tells it): a page still kept shows the old text.
    await board.column(`update post set body_html = replace(body_html, 'marker0', 'changed0')`)
    expect((await reader.get(threads[0]!)).text).toContain('marker0')
    // Seven more such pages are well over 1 MB: the first thread's went, and is read afresh.
    for (let i = 1; i < threads.length; i++) expect((await reader.get(threads[i]!)).text).toContain(`marker${i}`)
    const again = await reader.get(threads[0]!)
    expect(again.text).toContain('changed0')
    expect(again.text).not.toContain('marker0')
  })
})
