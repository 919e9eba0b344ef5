import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readThreadPosts } from '../../src/db/posts.ts'
import { makeBoard } from '../support/app.ts'

// The one statement a thread page built afresh reads (issue 15), on each dialect, through the
// page reads' own connections (Storage.readRows) and through `db`: every field of every post, with
// its type (a number, a boolean, a string), each post's replies in order, the page's window, a
// page past the end, a thread that is not there. PostgreSQL answers it as one row whose posts are
// one JSON array; SQLite as a row a post: both must give exactly this.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const AT = ['2026-12-01T09:00:00.000Z', '2026-12-01T10:00:00.000Z', '2026-12-02T11:00:00.000Z', '2026-12-03T12:00:00.000Z']
const FP = ['a'.repeat(40), 'b'.repeat(64)]

async function seed() {
  const db = board.deps.db
  const boardId = (await db.selectFrom('board').select('id').where('slug', '=', 'general').executeTakeFirstOrThrow()).id
  const keys = await db.insertInto('public_key').values(FP.map((f) => ({ fingerprint: f, armored: 'key', created_at: AT[0]! }))).returning('id').execute()
  const t = await db.insertInto('thread').values({ board_id: boardId, number: 7, title: 'Ünïcode "title" <b>', created_at: AT[0]!, post_count: 0, last_number: 0, last_post_at: AT[0]! }).returning('id').executeTakeFirstOrThrow()
  const bodies = ['<p>first \\ "quoted" ✓</p>', '<p>second</p>\n<p>two paragraphs</p>', '<p>&gt;&gt;1 &gt;&gt;2 third</p>', '<p>fourth &amp; last</p>']
  const ids: number[] = []
  for (const [i, body_html] of bodies.entries()) {
    const p = await db
      .insertInto('post')
      .values({ thread_id: t.id, number: i + 1, key_id: keys[i % 2]!.id, signing: i === 1 ? 'gpg-signed' : 'disposable', body_source: 'source', body_html, signed_text: i === 1 ? 'signed text' : null, created_at: AT[i]! })
      .returning('id')
      .executeTakeFirstOrThrow()
    ids.push(p.id)
    await db.updateTable('thread').set({ post_count: i + 1, last_number: i + 1, last_post_id: p.id }).where('id', '=', t.id).execute()
  }
  // Post 3 quotes 1 and 2, post 4 quotes 1: post 1's replies are 3 and 4, in that order, whatever order they were recorded in.
  await db.insertInto('post_reference').values([{ post_id: ids[3]!, quoted_post_id: ids[0]! }, { post_id: ids[2]!, quoted_post_id: ids[0]! }, { post_id: ids[2]!, quoted_post_id: ids[1]! }]).execute()
  return { boardId, threadId: t.id, ids, bodies }
}

describe('a thread page read (issue 15)', () => {
  it('gives every field of every post, typed, with its replies, on both paths', async () => {
    const { boardId, threadId, ids, bodies } = await seed()
    const post = (i: number, replies: number[]) => ({ id: ids[i], number: i + 1, signing: i === 1 ? 'gpg-signed' : 'disposable', body_html: bodies[i], created_at: AT[i], fingerprint: FP[i % 2], signed: i === 1, replies })
    const thread = (count: number) => ({ id: threadId, number: 7, title: 'Ünïcode "title" <b>', post_count: count, last_number: count })
    const read = board.deps.storage.readRows
    if (board.dialect === 'postgres') expect(read).not.toBeNull()
    for (const via of [read, null]) {
      const all = await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 50, 0, via)
      expect(all).toEqual({ thread: thread(4), before: 0, posts: [post(0, [3, 4]), post(1, [3]), post(2, []), post(3, [])] })
      expect(typeof all!.posts[0]!.id).toBe('number')
      expect(typeof all!.posts[1]!.signed).toBe('boolean')
      // The second page of two: posts 3 and 4 only, after post 2.
      expect(await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 2, 2, via)).toEqual({ thread: thread(4), before: 2, posts: [post(2, []), post(3, [])] })
      // Pages of one: the third is post 3, after post 2.
      expect(await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 1, 2, via)).toEqual({ thread: thread(4), before: 2, posts: [post(2, [])] })
      // Past the last page: the thread, no posts (and no post before them looked for). No such thread: nothing.
      expect(await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 2, 4, via)).toEqual({ thread: thread(4), before: 0, posts: [] })
      expect(await readThreadPosts(board.deps.db, board.dialect, boardId, 8, 50, 0, via)).toBeUndefined()
      expect(await readThreadPosts(board.deps.db, board.dialect, boardId + 1000, 7, 50, 0, via)).toBeUndefined()
    }
  })

  it('gives the number of the post before a page: the last one left, when those right before the page were removed', async () => {
    const { boardId, threadId, ids } = await seed()
    // Posts 1 and 2 gone (as a removal leaves it: the count down, the last number kept): pages of
    // one are post 3, then post 4, after post 3 (not after the page's offset, 1).
    await board.deps.db.deleteFrom('post').where('id', 'in', [ids[0]!, ids[1]!]).execute()
    await board.deps.db.updateTable('thread').set({ post_count: 2 }).where('id', '=', threadId).execute()
    for (const via of [board.deps.storage.readRows, null]) {
      const first = await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 1, 0, via)
      expect([first?.before, first?.posts.map((p) => p.number)]).toEqual([0, [3]])
      const second = await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 1, 1, via)
      expect([second?.before, second?.posts.map((p) => p.number)]).toEqual([3, [4]])
      // A page number far past any integer: no post, nothing walked, no error.
      expect((await readThreadPosts(board.deps.db, board.dialect, boardId, 7, 200, 200 * 999_999_999, via))?.posts).toEqual([])
    }
  })
})
