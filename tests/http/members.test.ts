import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
let member: Client
beforeAll(async () => {
  board = await makeBoard()
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: 30 })
  member = board.client()
  await member.takeIdentity()
  const armored = await (await member.request('/identity/public-key.asc')).text()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: armored, tier: 'member' })
})
afterAll(() => board.close())

describe('members-only boards (need-to-know)', () => {
  it('the cell page marks the board as read from the member tier up, with its retention', async () => {
    const { text } = await board.client().get('/c/lobby')
    expect(text).toContain('<a href="/c/lobby/inner">Inner</a> <span class="tag">for member and up</span> <span class="tag">kept 30 days</span>')
  })

  it('a roster key reads and posts', async () => {
    await member.get('/c/lobby/inner')
    const { res } = await member.post('/c/lobby/inner', { title: 'Inside', body: 'members only text' })
    expect(res.status).toBe(303)
    const { res: r2, text } = await member.get(res.headers.get('location')!)
    expect(r2.status).toBe(200)
    expect(text).toContain('members only text')
  })

  it('no identity, or a key not on the roster → 403 for the board, its threads and their signed texts', async () => {
    const location = (await member.post('/c/lobby/inner', { title: 'Second', body: 'still inside' })).res.headers.get('location')!
    const outsider = board.client()
    expect((await outsider.get('/c/lobby/inner')).res.status).toBe(403)
    await outsider.takeIdentity()
    for (const path of ['/c/lobby/inner', location, `${location}/p/1.asc`, `${location}/p/1`]) {
      const { res, text } = await outsider.get(path)
      expect(res.status, path).toBe(403)
      expect(text).not.toContain('still inside')
    }
    const { res } = await outsider.post('/c/lobby/inner', { title: 'x', body: 'y' })
    expect(res.status).toBe(403)
  })
})
