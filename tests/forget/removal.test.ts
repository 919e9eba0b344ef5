import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removePost } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

describe('removing a thread’s opening post while replies remain', () => {
  it('takes the title with it (it was part of that post’s signed text): the page shows a placeholder, the files hold no trace', async () => {
    const title = `TITLE${randomBytes(9).toString('hex')}`
    // Its words are also copied into the thread's row for the board's list (migration 2026121301).
    const words = `OPENING${randomBytes(9).toString('hex')}`
    const op = board.client()
    await op.takeIdentity()
    await op.get('/c/lobby/general')
    const thread = (await op.post('/c/lobby/general', { title, body: `The opening post. ${words}` })).res.headers.get('location')!
    const replier = board.client()
    await replier.takeIdentity()
    await replier.get(thread)
    expect((await replier.post(thread, { body: 'A reply that stays.' })).res.status).toBe(303)
    expect((await replier.get(thread)).text).toContain(title)
    expect((await replier.get('/c/lobby/general')).text).toContain(words)
    const copy = () => board.deps.db.selectFrom('thread').select('opening').where('number', '=', Number(thread.split('/').pop())).executeTakeFirstOrThrow()
    expect((await copy()).opening).toContain(words)
    expect(Object.keys(await board.findPresentMarkers([title, words])).sort()).toEqual([words, title])

    const r = await removePost(board.deps, { cell: 'lobby', board: 'general', thread: Number(thread.split('/').pop()), number: 1 })
    expect(r.threadDeleted).toBe(false)
    const page = await replier.get(thread)
    expect(page.res.status).toBe(200)
    expect(page.text).toContain('(The opening post was removed)')
    expect(page.text).not.toContain(title)
    expect(page.text).toContain('A reply that stays.')
    expect(page.text).not.toContain('The opening post.')
    expect((await replier.get('/c/lobby/general')).text).not.toContain(title)
    expect((await replier.get('/c/lobby/general')).text).not.toContain(words)
    expect((await copy()).opening).toBeNull()
    const left = await board.findMarkers([title, words])
    expect(left, JSON.stringify(left)).toEqual({})
  })
})
