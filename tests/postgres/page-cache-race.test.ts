import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setBoardAccess, setCellTiers } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'
import { pageReadAcross, readAcross } from '../support/query-gate.ts'

// A page built from a read that began before a write, and kept after that write dropped the
// page's tags, was kept stale until the next write to them: on a quiet thread, days. With
// PostgreSQL a read is a round trip, and a reply on this node (or a NOTIFY from another) lands
// while it is away. Here the read is held on purpose until the reply is written: a page's own read
// (its posts, a board's list) at Storage.readRows, the read pool's (db/storage.ts), and the board's
// row by a Kysely plugin on deps.db.
//
// On SQLite the same can happen since a page's SELECT is run in the reader's own thread (issue 15):
// tests/sqlite/page-cache-race.test.ts.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

describe(`a page read before a write is not kept after it (PostgreSQL)`, () => {
  it('a reply lands while a reader\'s thread page is being read: the next reader sees the reply', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    const { res } = await poster.post('/c/lobby/general', { title: 'Quiet thread', body: 'opening words' })
    expect(res.status).toBe(303)
    const thread = new URL(res.headers.get('location')!, 'http://x').pathname
    // Kept: the thread's page, the board's place and the thread's row id.
    const reader = board.client()
    expect((await reader.get(thread)).text).toContain('opening words')
    // A reply drops the page (only the page: the place and the row id stay kept).
    expect((await poster.post(thread, { body: 'first reply' })).res.status).toBe(303)

    // The reply is written and drops the page's tags while the reader's rows are on their way.
    const first = (await pageReadAcross(board.deps.storage, () => reader.get(thread), async () => expect((await poster.post(thread, { body: 'second reply' })).res.status).toBe(303))).text
    // The held reader read before the reply (else this test shows nothing).
    expect(first).toContain('first reply')
    expect(first).not.toContain('second reply')
    // Readers after the reply, anonymous and with an identity, get it.
    expect((await board.client().get(thread)).text).toContain('second reply')
    expect((await reader.get(thread)).text).toContain('second reply')
    expect((await poster.get(thread)).text).toContain('second reply')
  })

  it('a thread is started while a reader\'s board page is being read: the next reader sees it listed', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    expect((await poster.post('/c/lobby/general', { title: 'First thread', body: 'one' })).res.status).toBe(303)
    const reader = board.client()
    expect((await reader.get('/c/lobby/general')).text).toContain('First thread')
    expect((await poster.post('/c/lobby/general', { title: 'Second thread', body: 'two' })).res.status).toBe(303)

    const first = (await pageReadAcross(board.deps.storage, () => reader.get('/c/lobby/general'), async () => expect((await poster.post('/c/lobby/general', { title: 'Third thread', body: 'three' })).res.status).toBe(303))).text
    expect(first).toContain('Second thread')
    expect(first).not.toContain('Third thread')
    expect((await board.client().get('/c/lobby/general')).text).toContain('Third thread')
    expect((await reader.get('/c/lobby/general')).text).toContain('Third thread')
  })

  it('a board\'s posting rule changes while a reader\'s board page reads the board: the next reader gets the new rule', async () => {
    // The page's middle says who may post, from the board's row as the request read it first
    // (openBoard), before the page's threads: the part must count from before that read.
    await setCellTiers(board.deps, { cell: 'lobby', tiers: 'supporter,member,cadre', vote: 'cadre', inbox: 'cadre' })
    const rule = (page: string) => /Posting here is for the cell’s ([^<.]*)/.exec(page)?.[1]
    const reader = board.client()
    await setBoardAccess(board.deps, { cell: 'lobby', board: 'general', read: 'anyone', post: 'member' })
    expect(rule((await reader.get('/c/lobby/general')).text)).toContain('member')

    // The board's place is no longer kept (the rule's change dropped it): the reader reads the row.
    await setBoardAccess(board.deps, { cell: 'lobby', board: 'general', read: 'anyone', post: 'supporter' })
    const slow = await readAcross(board.deps, () => reader.get('/c/lobby/general'), () => setBoardAccess(board.deps, { cell: 'lobby', board: 'general', read: 'anyone', post: 'cadre' }), 'board')
    // It read the board before the change.
    expect(rule(slow.text)).toContain('supporter')
    expect(rule((await board.client().get('/c/lobby/general')).text)).toContain('cadre')
    expect(rule((await reader.get('/c/lobby/general')).text)).toContain('cadre')
  })
})
