import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removePost, removeThread } from '../../src/services/forget.ts'
import { makeBoard, TEST_DIALECT } from '../support/app.ts'

// Forgetting extends to the search index (issue 13). A marker is one lowercase word (as both
// indexes store it) alone in its text, so the index holds it whole: before removal it is found by
// search and is in the index's own storage; after the removal and the purge it is found by neither
// search nor a scan of every database file (SQLite: db and WAL; PostgreSQL: the data directory).

type Board = Awaited<ReturnType<typeof makeBoard>>
let board: Board
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const marker = (kind: string) => `${kind}${randomBytes(9).toString('hex')}`
const hits = async (q: string) => [...(await board.client().get(`/search?q=${q}`)).text.matchAll(/<li><a href="([^"]+)">/g)].map((m) => m[1])

/** Where the index keeps its words: FTS5's segment table, or the GIN index's relation file. */
async function inIndex(word: string, index: 'post_body_search' | 'thread_title_search'): Promise<boolean> {
  if (TEST_DIALECT === 'sqlite') return Number((await board.column(`select count(*) from ${index}_data where instr(block, ?) > 0`, Buffer.from(word)))[0]) > 0
  const [path] = await board.column(`select pg_relation_filepath(?::regclass)`, index)
  const found = await board.findPresentMarkers([word])
  return (found[word] ?? []).some((f) => f.startsWith(String(path)))
}

async function publish() {
  const c = board.client()
  await c.takeIdentity()
  const m = { title: marker('title'), body: marker('body'), reply: marker('reply') }
  await c.get('/c/lobby/general')
  const thread = (await c.post('/c/lobby/general', { title: m.title, body: m.body })).res.headers.get('location')!
  await c.get(thread)
  expect((await c.post(thread, { body: m.reply })).res.status).toBe(303)
  return { m, thread: Number(thread.split('/').pop()) }
}

describe('removal and the purge take a post out of the search index and every file', () => {
  it('a reply, then its thread: searchable and in the index before, in no file after', async () => {
    const { m, thread } = await publish()
    expect(await hits(m.title)).toEqual([`/c/lobby/general/t/${thread}/p/1`])
    expect(await hits(m.body)).toEqual([`/c/lobby/general/t/${thread}/p/1`])
    expect(await hits(m.reply)).toEqual([`/c/lobby/general/t/${thread}/p/2`])
    expect(await inIndex(m.reply, 'post_body_search')).toBe(true)
    expect(await inIndex(m.body, 'post_body_search')).toBe(true)
    expect(await inIndex(m.title, 'thread_title_search')).toBe(true)
    const all = Object.values(m)
    expect(Object.keys(await board.findPresentMarkers(all)).sort()).toEqual([...all].sort())

    await removePost(board.deps, { cell: 'lobby', board: 'general', thread, number: 2 })
    expect(await hits(m.reply)).toEqual([])
    const left = await board.findMarkers([m.reply])
    expect(left, JSON.stringify(left)).toEqual({})

    await removeThread(board.deps, { cell: 'lobby', board: 'general', thread })
    expect(await hits(m.title)).toEqual([])
    expect(await hits(m.body)).toEqual([])
    const none = await board.findMarkers(all)
    expect(none, JSON.stringify(none)).toEqual({})
  })

  it.runIf(TEST_DIALECT === 'sqlite')('SQLite: without FTS5 secure-delete the purge would leave the word in the index (what this test would catch)', async () => {
    await board.column(`insert into post_body_search(post_body_search, rank) values ('secure-delete', 0)`)
    const { m, thread } = await publish()
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread, number: 2 })
    expect(await hits(m.reply)).toEqual([])
    expect(await inIndex(m.reply, 'post_body_search')).toBe(true)
    expect(Object.keys(await board.findMarkers([m.reply]))).toEqual([m.reply])
  })
})
