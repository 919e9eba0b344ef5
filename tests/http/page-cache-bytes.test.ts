import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PageCache } from '../../src/services/page-cache.ts'
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
    // 19,000 ampersands: about 95 KB as HTML, so each thread's page is kept in about 200 KB.
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
    for (const t of threads.slice(1)) expect((await reader.get(t)).text).toContain('marker')
    const again = await reader.get(threads[0]!)
    expect(again.text).toContain('changed0')
    expect(again.text).not.toContain('marker0')
  })
})

describe('PageCache in bytes', () => {
  const part = (n: number) => ({ meta: null, bytes: new Uint8Array(n), tags: ['t'] })

  it('keeps the newest entries within its bytes, drops the oldest first, and counts a replaced entry once', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    const k = (s: string) => s as Parameters<PageCache['get']>[0]
    for (let i = 0; i < 10; i++) cache.set(k(`p${i}`), part(200))
    expect(cache.bytes).toBeLessThanOrEqual(1000)
    expect(cache.get(k('p0'))).toBeUndefined()
    expect(cache.get(k('p9'))).toBeDefined()
    cache.set(k('p9'), part(100))
    cache.set(k('p9'), part(100))
    expect(cache.bytes).toBe(4 * 200 + 100)
    cache.drop(['t'])
    expect(cache.bytes).toBe(0)
  })

  it('does not keep an entry larger than a quarter of its bytes (it would push out most others)', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    const k = (s: string) => s as Parameters<PageCache['get']>[0]
    cache.set(k('small'), part(100))
    cache.set(k('big'), part(251))
    expect(cache.get(k('big'))).toBeUndefined()
    expect(cache.get(k('small'))).toBeDefined()
    expect(cache.bytes).toBe(100)
  })
})
