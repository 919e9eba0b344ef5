import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removePost } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'

// A post the cell removed leaves its number behind: the decision log links to it, and a reader may
// have kept its address. Its address says it was removed (410) and leads back to its thread, where
// a number that never was is still a plain 404. Nothing of the post itself is told.
let board: Awaited<ReturnType<typeof makeBoard>>
let thread: string
beforeAll(async () => {
  board = await makeBoard()
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  thread = (await c.post('/c/lobby/general', { title: 'Gaps', body: 'first words' })).res.headers.get('location')!.split('#')[0]!.split('?')[0]!
  await c.get(thread)
  for (const body of ['second-words-marker', 'third words']) expect((await c.post(thread, { body })).res.status).toBe(303)
})
afterAll(() => board.close())

describe('the address of a removed post', () => {
  it('answers 410 saying the post was removed, with the way back to its thread; a number never given is still a 404', async () => {
    const c = board.client()
    // Before: post 2 is there, at its address and in its signed text.
    expect((await c.get(`${thread}/p/2`)).res.status).toBe(303)
    expect((await c.get(`${thread}/p/2.asc`)).text).toContain('second-words-marker')
    const n = Number(thread.split('/').pop())
    expect(await removePost(board.deps, { cell: 'lobby', board: 'general', thread: n, number: 2 })).not.toBeNull()
    for (const path of [`${thread}/p/2`, `${thread}/p/2.asc`]) {
      const { res, text } = await c.get(path)
      expect(res.status, path).toBe(410)
      expect(text, path).toContain('<h1>Removed</h1>')
      expect(text, path).toContain('Post 2 of this thread was removed.')
      expect(text, path).toContain(`<a href="${thread}">Go to the thread</a>`)
      expect(text, path).not.toContain('second-words-marker')
    }
    // Posts 1 and 3 are where they were; 4 was never given.
    expect((await c.get(`${thread}/p/3`)).res.status).toBe(303)
    const never = await c.get(`${thread}/p/4`)
    expect(never.res.status).toBe(404)
    expect(never.text).not.toContain('Go to the thread')
  })
})
