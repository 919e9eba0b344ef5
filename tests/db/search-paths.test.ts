import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchPostgres } from '../../src/db/search-postgres.ts'
import type { PostSearch } from '../../src/db/search.ts'
import { makeBoard, TEST_DIALECT } from '../support/app.ts'

// The storage seam's search against a plain scan of the same posts, computed here from what was
// inserted: 12,000 posts in threads of 40 on three boards, the third one not searched. Each word is
// in a known share of the posts, so on PostgreSQL each of search-postgres.ts's three ways (the
// first look, the longer walk, the GIN index) answers some query: each must give exactly the
// plain scan's posts, in its order, on every page.
const POSTS = 12_000
const PER_THREAD = 40
const AT = '2026-12-01T10:00:00.000Z'

/** Post g (0-based): its words. alpha: half the posts; beta: 1 in 12; gamma: 1 in 1,000. */
const words = (g: number) => [`filler${g}`, ...(g % 2 === 0 ? ['alpha'] : []), ...(g % 12 === 4 ? ['beta'] : []), ...(g % 1000 === 999 ? ['gamma'] : [])]
/** Thread t (0-based): its title's words. delta: 1 thread in 7 (their opening posts match). */
const titleWords = (t: number) => ['thread', `t${t}`, ...(t % 7 === 3 ? ['delta'] : [])]

describe(`search: every path gives the plain scan's answer (${TEST_DIALECT})`, () => {
  let board: Awaited<ReturnType<typeof makeBoard>>
  let boards: number[] = []
  /** What the posts are, in id order, as inserted. */
  const posts: { id: number; board: number; number: number; words: string[]; title: string[] }[] = []

  beforeAll(async () => {
    board = await makeBoard()
    const db = board.deps.db
    const cell = (await db.selectFrom('cell').select('id').where('slug', '=', 'lobby').executeTakeFirstOrThrow()).id
    for (const slug of ['s-one', 's-two', 's-hidden']) {
      boards.push((await db.insertInto('board').values({ cell_id: cell, slug, name: slug, read_tier: null, post_tier: null, retention_days: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()).id)
    }
    const key = (await db.insertInto('public_key').values({ fingerprint: 'f'.repeat(40), armored: 'K', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const threads = POSTS / PER_THREAD
    const threadIds: number[] = []
    for (let t = 0; t < threads; t++) {
      const b = boards[t % 3]!
      threadIds.push((await db.insertInto('thread').values({ board_id: b, number: Math.floor(t / 3) + 1, title: titleWords(t).join(' '), created_at: AT, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()).id)
    }
    for (let g = 0; g < POSTS; g += 1000) {
      const rows = Array.from({ length: 1000 }, (_, i) => {
        const h = g + i
        const t = Math.floor(h / PER_THREAD)
        return { thread_id: threadIds[t]!, number: (h % PER_THREAD) + 1, key_id: key, signing: 'session-attested' as const, body_source: words(h).join(' '), body_html: '', signed_text: null, created_at: AT }
      })
      const ids = await db.insertInto('post').values(rows).returning('id').execute()
      ids.forEach((r, i) => {
        const h = g + i
        const t = Math.floor(h / PER_THREAD)
        posts.push({ id: r.id, board: boards[t % 3]!, number: (h % PER_THREAD) + 1, words: words(h), title: titleWords(t) })
      })
    }
    posts.sort((a, b) => a.id - b.id)
  }, 120_000)
  afterAll(() => board?.close())

  const searched = () => boards.slice(0, 2)
  function plainScan(q: PostSearch): number[] {
    const all = (ws: string[]) => q.terms.every((w) => ws.includes(w))
    return posts
      .filter((p) => q.boardIds.includes(p.board) && (all(p.words) || (p.number === 1 && all(p.title))))
      .map((p) => p.id)
      .reverse()
      .slice(q.offset, q.offset + q.limit)
  }

  const cases: [string, string[], number][] = [
    ['a word in half the posts', ['alpha'], 0],
    ['the same, page 5', ['alpha'], 80],
    ['a word in 1 of 12', ['beta'], 0],
    ['the same, page 3', ['beta'], 40],
    ['a word in 1 of 1,000', ['gamma'], 0],
    ['a title word (opening posts)', ['delta'], 0],
    ['a title word, page 2', ['delta'], 20],
    ['two words, both needed', ['alpha', 'beta'], 0],
    ['a word in no post', ['nowhere'], 0],
  ]

  it('the fixture is what the cases assume (12,000 posts, each word where it was put)', async () => {
    expect(posts).toHaveLength(POSTS)
    expect(await board.count('post')).toBe(POSTS)
    expect(plainScan({ terms: ['alpha'], boardIds: searched(), hidden: [], limit: 10_000, offset: 0 }).length).toBe(4000)
    expect(plainScan({ terms: ['gamma'], boardIds: searched(), hidden: [], limit: 100, offset: 0 }).length).toBeGreaterThan(5)
    expect(plainScan({ terms: ['delta'], boardIds: searched(), hidden: [], limit: 100, offset: 0 }).length).toBeGreaterThan(20)
  })

  for (const [what, terms, offset] of cases) {
    it(`${what}: the storage seam gives the plain scan's page`, async () => {
      const q: PostSearch = { terms, boardIds: searched(), hidden: [], limit: 20, offset }
      const expected = plainScan(q)
      if (terms[0] !== 'nowhere') expect(expected.length).toBeGreaterThan(0)
      expect(await board.deps.storage.searchPosts(q)).toEqual({ ids: expected, partial: false })
    })
  }

  it('with the third board hidden from the reader (a members-only board to an anonymous reader), every case gives the plain scan’s page, searching both other boards or one', async () => {
    for (const boardIds of [searched(), [boards[0]!]]) {
      for (const [what, terms, offset] of cases) {
        const q: PostSearch = { terms, boardIds, hidden: [boards[2]!], limit: 20, offset }
        expect(await board.deps.storage.searchPosts(q), `${what}, ${boardIds.length} board(s)`).toEqual({ ids: plainScan(q), partial: false })
      }
    }
  })

  it('a board not searched gives nothing, even for a word in half its posts', async () => {
    expect(await board.deps.storage.searchPosts({ terms: ['alpha'], boardIds: [boards[2]!], hidden: [], limit: 20, offset: 0 })).toEqual({ ids: plainScan({ terms: ['alpha'], boardIds: [boards[2]!], hidden: [], limit: 20, offset: 0 }), partial: false })
    expect(await board.deps.storage.searchPosts({ terms: ['alpha'], boardIds: [], hidden: [], limit: 20, offset: 0 })).toEqual({ ids: [], partial: false })
  })

  describe.runIf(TEST_DIALECT === 'postgres')('PostgreSQL: each path is taken where it should be, and each is exact', () => {
    const paths: [string, string[], number, string][] = [
      ['a word in half the posts', ['alpha'], 0, 'first-look'],
      ['a word in 1 of 12', ['beta'], 0, 'walk'],
      ['a word in 1 of 1,000', ['gamma'], 0, 'index'],
      ['a title word', ['delta'], 0, 'index'],
      ['a word in no post', ['nowhere'], 0, 'index'],
    ]
    for (const [what, terms, offset, path] of paths) {
      it(`${what} → ${path}`, async () => {
        const q: PostSearch = { terms, boardIds: searched(), hidden: [], limit: 20, offset }
        expect(await searchPostgres(board.deps.db, q)).toEqual({ ids: plainScan(q), path })
      })
    }
    it('every path alone gives the same pages: forced by the size of the first look', async () => {
      for (const [, terms, offset] of cases) {
        const q: PostSearch = { terms, boardIds: searched(), hidden: [], limit: 20, offset }
        const expected = plainScan(q)
        // 1,000 × enough walks every post; 1 walks 20 posts, then √(20 × 12,000) ≈ 490, then the index.
        for (const firstLook of [1, 3, 1000]) expect((await searchPostgres(board.deps.db, q, firstLook)).ids).toEqual(expected)
      }
    })
  })
})
