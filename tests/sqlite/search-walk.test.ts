import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEARCH_WALK } from '../../src/domain/search.ts'
import { createBoard, createCell } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'

// FTS5 knows nothing of boards (db/search-sqlite.ts): a search of a small cell for a word common
// elsewhere looked up every match on the site before it gave up, on the event loop, as often as
// anyone asked (58 ms a request with 200,000 such posts; bench/search.ts measures it). Now each side
// looks through the newest SEARCH_WALK matches at most, and an answer cut short says so beside the
// results, with what to do; a rare word, or a cell where the word is common, is answered whole.
const AT = '2026-12-01T10:00:00.000Z'
const results = (text: string) => [...text.matchAll(/<li><a href="([^"]+)">/g)].map((m) => m[1])
let board: Awaited<ReturnType<typeof makeBoard>>

/** A board with a second cell, "small" (board "quiet"), and how to write threads and posts into it directly. */
async function smallCellBoard() {
  const b = await makeBoard()
  const db = b.deps.db
  await createCell(b.deps, { slug: 'small', name: 'Small', principles: [] })
  await createBoard(b.deps, { cell: 'small', slug: 'quiet', name: 'Quiet', description: '', retentionDays: null })
  const boardOf = async (slug: string) => (await db.selectFrom('board').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id
  const key = (await db.insertInto('public_key').values({ fingerprint: 'f'.repeat(40), armored: 'K', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
  const thread = async (boardId: number, number: number, title: string) =>
    (await db.insertInto('thread').values({ board_id: boardId, number, title, created_at: AT, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()).id
  const post = (threadId: number, number: number, body: string) => ({ thread_id: threadId, number, key_id: key, signing: 'session-attested' as const, body_source: body, body_html: `<p>${body}</p>`, signed_text: null, created_at: AT })
  /** More posts (their bodies from `body`) on the lobby's board than a search looks through, in threads of 100. */
  const manyElsewhere = async (body: (i: number) => string, many = SEARCH_WALK + 40) => {
    const general = await boardOf('general')
    for (let t = 0; t * 100 < many; t++) {
      const id = await thread(general, t + 1, `Busy thread ${t}`)
      await db.insertInto('post').values(Array.from({ length: Math.min(100, many - t * 100) }, (_, i) => post(id, i + 1, body(t * 100 + i)))).execute()
    }
    return many
  }
  return { board: b, db, boardOf, quiet: await boardOf('quiet'), thread, post, manyElsewhere }
}

beforeAll(async () => {
  const s = await smallCellBoard()
  board = s.board
  // The small cell's post first (the oldest), then more posts with the word than a search looks through.
  await s.db.insertInto('post').values(s.post(await s.thread(s.quiet, 1, 'Old notes'), 1, 'an old common word beside zephyrine')).execute()
  const many = await s.manyElsewhere((i) => `the common word, again ${i}`)
  expect(await board.count('post')).toBe(many + 1)
}, 120_000)
afterAll(() => board?.close())

describe('search on SQLite, a word common on the site but not in the cell searched', () => {
  it('looks through the newest matches only and says the answer is partial, JS off (the page) and on (the same page)', async () => {
    const client = board.client()
    const { res, text } = await client.get('/c/small/search?q=common')
    expect(res.status).toBe(200)
    expect(results(text)).toEqual([])
    expect(text).toContain('<p id="partial" class="notice" role="status">Only the newest 10,000 posts with these words that you may read on the whole site were looked through')
    expect(text).toContain('Add a word, or search for a rarer one')
    expect(text).not.toContain('Nothing matches.')
  })

  it('answers a rarer word in the same cell whole, and the word in the busy cell with a full page and no notice', async () => {
    const client = board.client()
    const rare = await client.get('/c/small/search?q=zephyrine')
    expect(results(rare.text)).toEqual(['/c/small/quiet/t/1/p/1'])
    expect(rare.text).not.toContain('id="partial"')
    const both = await client.get('/c/small/search?q=common+zephyrine')
    expect(results(both.text)).toEqual(['/c/small/quiet/t/1/p/1'])
    const busy = await client.get('/c/lobby/search?q=common')
    expect(results(busy.text)).toHaveLength(20)
    expect(busy.text).not.toContain('id="partial"')
    expect(busy.text).toContain('page=2')
  })
})

describe('search on SQLite, one side full and the other cut short', () => {
  it('titles in the cell fill a page while newer bodies there lie past the bodies looked through: the newer posts are shown, or the answer says it is partial', async () => {
    const { board: b, db, quiet, thread, post, manyElsewhere } = await smallCellBoard()
    try {
      // 25 threads in the small cell titled with the word (their opening posts match by title)...
      for (let n = 1; n <= 25; n++) await db.insertInto('post').values(post(await thread(quiet, n, `lantern meeting ${n}`), 1, 'nothing to see')).execute()
      // ...then one reply there with the word in its body, newer than every title match...
      await db.insertInto('post').values(post(await thread(quiet, 26, 'Later notes'), 1, 'the lantern is lit')).execute()
      // ...then more bodies with the word elsewhere than a search looks through.
      await manyElsewhere((i) => `a lantern again ${i}`)
      const { text } = await b.client().get('/c/small/search?q=lantern')
      const shown = results(text)
      expect(shown).toHaveLength(20)
      // The newest match in the cell is the body of "Later notes": shown first, or the page says it may be missing.
      expect(shown[0] === '/c/small/quiet/t/26/p/1' || text.includes('id="partial"')).toBe(true)
    } finally {
      await b.close()
    }
  })
})

describe('search on SQLite, a board the reader may not read', () => {
  // The attack (an outsider's report): the partial notice counted the matches on every board, so
  // with as many public posts holding a word as a search looks through (paid once), one anonymous
  // GET told whether any members-only post held it too. Matches on boards the reader may not read
  // are passed over without counting, so nothing they hold changes the answer.
  it('gives an anonymous reader the same answer whether or not a members-only board holds the word; more public matches still say partial', async () => {
    const { board: b, db, boardOf, thread, post, manyElsewhere } = await smallCellBoard()
    try {
      await createBoard(b.deps, { cell: 'small', slug: 'inner', name: 'Inner', description: '', retentionDays: null })
      await db.updateTable('board').set({ read_tier: 'member' }).where('slug', '=', 'inner').execute()
      // Exactly as many public matches as a search looks through: none unseen.
      await manyElsewhere((i) => `a quokka filler ${i}`, SEARCH_WALK)
      const anonymous = b.client()
      const before = await anonymous.get('/c/small/search?q=quokka')
      expect(before.res.status).toBe(200)
      expect(results(before.text)).toEqual([])
      expect(before.text).not.toContain('id="partial"')
      // A member writes the word once, on the members-only board (the newest match on the site).
      await db.insertInto('post').values(post(await thread(await boardOf('inner'), 1, 'Members only'), 1, 'we must not mention the quokka')).execute()
      const after = await anonymous.get('/c/small/search?q=quokka')
      expect(results(after.text)).toEqual([])
      expect(after.text).not.toContain('id="partial"')
      expect(after.text.replace(/name="_csrf" value="[^"]*"/g, '')).toBe(before.text.replace(/name="_csrf" value="[^"]*"/g, ''))
      // One more public match than a search looks through: the answer is partial, as before.
      await db.insertInto('post').values(post(await thread(await boardOf('general'), 1000, 'One more'), 1, 'another quokka')).execute()
      const more = await anonymous.get('/c/small/search?q=quokka')
      expect(results(more.text)).toEqual([])
      expect(more.text).toContain('id="partial"')
    } finally {
      await b.close()
    }
  }, 120_000)
})
