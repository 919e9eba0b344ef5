import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { pageReadAcross } from '../support/query-gate.ts'

// On SQLite a page's posts and a board's list are read in the reader's own thread (issue 15,
// src/db/sqlite-reader.ts), so a write on the event loop can now land while such a read is away,
// as on PostgreSQL (tests/postgres/page-cache-race.test.ts): a page read before the write must not
// be kept after it. Here the reader's answer is held until the write is done.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

const readAcross = <T>(read: () => Promise<T>, meanwhile: () => Promise<unknown>) => pageReadAcross(board.deps.storage, read, meanwhile)

describe('a page read in the reader thread before a write is not kept after it (SQLite)', () => {
  it('a reply lands while a thread page is read: the next reader sees the reply', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    const { res } = await poster.post('/c/lobby/general', { title: 'Quiet thread', body: 'opening words' })
    expect(res.status).toBe(303)
    const thread = new URL(res.headers.get('location')!, 'http://x').pathname
    const reader = board.client()
    expect((await reader.get(thread)).text).toContain('opening words')
    expect((await poster.post(thread, { body: 'first reply' })).res.status).toBe(303)

    const first = (await readAcross(() => board.client().get(thread), async () => expect((await poster.post(thread, { body: 'second reply' })).res.status).toBe(303))).text
    // Read before the reply (else this test shows nothing).
    expect(first).toContain('first reply')
    expect(first).not.toContain('second reply')
    expect((await board.client().get(thread)).text).toContain('second reply')
    expect((await reader.get(thread)).text).toContain('second reply')
  })

  it('a thread is started while a board page is read: the next reader sees it listed', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    expect((await poster.post('/c/lobby/general', { title: 'First thread', body: 'one' })).res.status).toBe(303)
    expect((await board.client().get('/c/lobby/general')).text).toContain('First thread')
    expect((await poster.post('/c/lobby/general', { title: 'Second thread', body: 'two' })).res.status).toBe(303)

    const first = (await readAcross(() => board.client().get('/c/lobby/general'), async () => expect((await poster.post('/c/lobby/general', { title: 'Third thread', body: 'three' })).res.status).toBe(303))).text
    expect(first).toContain('Second thread')
    expect(first).not.toContain('Third thread')
    expect((await board.client().get('/c/lobby/general')).text).toContain('Third thread')
  })
})
