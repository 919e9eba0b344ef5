import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { questionsOf } from '../support/questions.ts'

// Every post links to the raise form with its place filled in; the raise form fills in only
// well-formed values from its address.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const raiseLink = (thread: number, n: number) => `<a href="/c/lobby/questions/new?kind=remove_post&amp;board=general&amp;thread=${thread}&amp;number=${n}">question this post</a>`
const valueOf = (page: string, name: string) => new RegExp(`<input id="${name}" name="${name}" value="([^"]*)"`).exec(page)?.[1]

describe('question this post', () => {
  it('each post links to the raise form for itself, to every reader; the thread has no single link any more', async () => {
    // A voter on the roster: a cell without voters shows no raise form at all.
    const { c } = await questionsOf(board).disposableOnRoster()
    await c.get('/c/lobby/general')
    const path = (await c.post('/c/lobby/general', { title: 'Questionable', body: 'one' })).res.headers.get('location')!
    await c.post(path, { body: 'two' })
    const thread = Number(path.split('/').pop())
    for (const viewer of [c, board.client()]) {
      const page = (await viewer.get(path)).text
      expect(page).toContain(raiseLink(thread, 1))
      expect(page).toContain(raiseLink(thread, 2))
      expect(page).not.toContain('Question a post under the line')
    }
    // Following the link: the raise form with board, thread and post filled in.
    const form = (await c.get(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=2`)).text
    expect([valueOf(form, 'board'), valueOf(form, 'thread'), valueOf(form, 'number')]).toEqual(['general', String(thread), '2'])
  })

  it('values that are not a board’s name or a number are not filled in: the fields are empty, the page 200', async () => {
    const { c } = await questionsOf(board).disposableOnRoster()
    for (const query of ['board=%3Cb%3Ex&thread=-1&number=abc', 'board=General%20Board&thread=1e3&number=0', 'board=general&thread=01&number=2.5']) {
      const { res, text } = await c.get(`/c/lobby/questions/new?kind=remove_post&${query}`)
      expect(res.status).toBe(200)
      expect([valueOf(text, 'board'), valueOf(text, 'thread'), valueOf(text, 'number')], query).toEqual([query.startsWith('board=general') ? 'general' : '', '', ''])
    }
  })
})
