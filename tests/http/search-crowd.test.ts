import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { SEARCHES_AT_ONCE, SEARCHES_WAITING } from '../../src/domain/search.ts'
import { Gate } from '../../src/ephemeral/gate.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { holdSearches } from '../support/held-searches.ts'

// An outsider's attack on the node, not on anyone's words: searches cost the reader (SQLite's
// reader thread, PostgreSQL's pool) tens of milliseconds each at 1,000,000 posts, up to ~110 ms
// with a board hidden from the searcher (BENCHMARKS.md), and they cost the asker nothing. With no
// bound, ten searches sent at once and again as each answers kept the reader busy for all ten, and
// every page a reader asked for that the cache had not kept waited behind them. A node takes
// SEARCHES_AT_ONCE at a time and lets SEARCHES_WAITING more wait; the rest are told at once, beside
// the field, that searching is busy (503, Retry-After), their words kept. The count is the node's:
// nothing about who asked is read or kept.
//
// Searches here are held inside the storage (a real search, run once released) so that they
// overlap for certain; how a crowd of real searches at 1,000,000 posts slows a page is measured in
// bench/search.ts, not here.

type Board = Awaited<ReturnType<typeof makeBoard>>
let board: Board
let anon: Client

/** A board with one post to find, its search settings as given. */
async function seeded(env: Record<string, string> = {}) {
  const board = await makeBoard(env)
  const member = board.client()
  await member.takeIdentity()
  await member.get('/c/lobby/general')
  expect((await member.post('/c/lobby/general', { title: 'Harbour notes', body: 'The quillwort harbour opens at dawn' })).res.status).toBe(303)
  return board
}

beforeAll(async () => {
  board = await seeded()
  anon = board.client()
})
afterAll(() => board.close())

describe('many searches at once', () => {
  it('the node searches one at a time, lets a few wait, and tells the rest it is busy (503) beside the field, their words kept', async () => {
    expect([board.deps.searches.atOnce, board.deps.searches.waiting]).toEqual([SEARCHES_AT_ONCE, SEARCHES_WAITING])
    await crowd(board, anon)
  })

  it('a waiting search whose asker has hung up leaves the queue: it keeps no one else from searching', async () => {
    const held = holdSearches(board.deps)
    const load = () => board.deps.searches.load
    try {
      const first = anon.get('/search?q=quillwort')
      await vi.waitFor(() => expect(held.entered()).toBe(1), { timeout: 10_000, interval: 10 })
      // The waiting ones' askers hang up (a closed Tor circuit, a closed tab): what the server
      // sees as its request's signal aborted.
      const askers = Array.from({ length: SEARCHES_WAITING }, () => new AbortController())
      const waiting = askers.map((a) => board.app.request('/search?q=quillwort', { signal: a.signal }))
      await vi.waitFor(() => expect(load()).toEqual({ running: 1, waiting: SEARCHES_WAITING }), { timeout: 10_000, interval: 10 })
      for (const a of askers) a.abort()
      await vi.waitFor(() => expect(load()).toEqual({ running: 1, waiting: 0 }), { timeout: 2000, interval: 10 })
      // So the next search waits its turn rather than being refused, and is served.
      const next = anon.get('/search?q=quillwort')
      await vi.waitFor(() => expect(load().waiting).toBe(1), { timeout: 10_000, interval: 10 })
      held.release()
      for (const r of [await first, await next]) {
        expect(r.res.status).toBe(200)
        expect(r.text).toContain('<mark>quillwort</mark>')
      }
      // Nobody reads what the gone ones are answered; they ran no search.
      for (const r of await Promise.all(waiting)) expect(r.status).toBe(503)
      expect(held.entered()).toBe(2)
    } finally {
      held.restore()
    }
  })

  it('a search whose storage never answers holds its place until the deadline only: it is told the node is busy, and the next one is served', async () => {
    const [real, gate] = [board.deps.storage.searchPosts, board.deps.searches]
    // As the node's gate, with a deadline a test can wait for.
    board.deps.searches = new Gate(gate.atOnce, gate.waiting, 300)
    board.deps.storage.searchPosts = () => new Promise(() => {}) // a connection gone silent
    try {
      const stuck = await anon.get('/search?q=quillwort')
      expect(stuck.res.status).toBe(503)
      expect(stuck.text).toContain('Too many searches are running')
      board.deps.storage.searchPosts = real
      const next = await anon.get('/search?q=quillwort')
      expect(next.res.status).toBe(200)
      expect(next.text).toContain('<mark>quillwort</mark>')
    } finally {
      board.deps.storage.searchPosts = real
      board.deps.searches = gate
    }
  })

  it('a search whose storage fails frees its place: the next one is served', async () => {
    const real = board.deps.storage.searchPosts
    board.deps.storage.searchPosts = async () => {
      throw new Error('the reader went away')
    }
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect((await anon.get('/search?q=quillwort')).res.status).toBe(500)
    } finally {
      board.deps.storage.searchPosts = real
      quiet.mockRestore()
    }
    const next = await anon.get('/search?q=quillwort')
    expect(next.res.status).toBe(200)
    expect(next.text).toContain('<mark>quillwort</mark>')
  })
})

describe('an operator with more cores (SEARCHES_AT_ONCE, SEARCHES_WAITING)', () => {
  it('runs as many at once and lets as many wait as set', async () => {
    const wider = await seeded({ SEARCHES_AT_ONCE: '3', SEARCHES_WAITING: '2' })
    try {
      expect([wider.deps.searches.atOnce, wider.deps.searches.waiting]).toEqual([3, 2])
      await crowd(wider, wider.client())
    } finally {
      await wider.close()
    }
  })

  it('is told at start what it may set', () => {
    expect(() => loadConfig({ SEARCHES_AT_ONCE: '0' })).toThrow(/SEARCHES_AT_ONCE/)
    expect(() => loadConfig({ SEARCHES_WAITING: '-1' })).toThrow(/SEARCHES_WAITING/)
    expect(() => loadConfig({ SEARCHES_AT_ONCE: 'many' })).toThrow(/SEARCHES_AT_ONCE/)
    expect(loadConfig({}).searches).toEqual({ atOnce: SEARCHES_AT_ONCE, waiting: SEARCHES_WAITING })
  })
})

/**
 * Ten searches sent at once to a board whose searches are held: the node's gate lets in as many as
 * it runs at once and queues as many as may wait; the rest are answered at once, busy.
 */
async function crowd(board: Board, anon: Client) {
  const held = holdSearches(board.deps)
  try {
    const asked = 10
    let answered = 0
    const pending = Array.from({ length: asked }, () => anon.get('/search?q=quillwort').then((r) => (answered++, r)))
    // Those the node cannot take are answered at once, while the others are still held.
    const { atOnce, waiting } = board.deps.searches
    // (Those let in reach the storage once they have looked up the boards this reader may read.)
    await vi.waitFor(() => expect([answered, held.entered()]).toEqual([asked - atOnce - waiting, atOnce]), { timeout: 10_000, interval: 10 })
    expect(board.deps.searches.load).toEqual({ running: atOnce, waiting })
    held.release()
    const all = await Promise.all(pending)
    const busy = all.filter((r) => r.res.status === 503)
    const served = all.filter((r) => r.res.status === 200)
    expect(busy).toHaveLength(asked - atOnce - waiting)
    expect(served).toHaveLength(atOnce + waiting)
    expect(held.most()).toBe(atOnce)
    for (const r of served) expect(r.text).toContain('<mark>quillwort</mark>')
    for (const r of busy) {
      expect(r.res.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/)
      // The reason beside the field, the words kept in it, no results.
      expect(r.text).toMatch(/<input[^>]*name="q"[^>]*value="quillwort"/)
      expect(r.text).toMatch(/aria-invalid="true"/)
      expect(r.text).toContain('Too many searches are running')
      expect(r.text).not.toContain('<mark>quillwort</mark>')
    }
    // Once the crowd has gone, a search is served again.
    const again = await anon.get('/search?q=quillwort')
    expect(again.res.status).toBe(200)
    expect(again.text).toContain('<mark>quillwort</mark>')
  } finally {
    held.restore()
  }
}
