import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { heldKey, logInWith } from '../support/keys.ts'

// An infiltrator probing a members-only board from outside: whatever address under it they try,
// existing or not, the answer must be the same, and nothing they can see may count what members do.

let board: Awaited<ReturnType<typeof makeBoard>>
let member: Client
let thread: string // a members' thread with two posts, by its address
beforeAll(async () => {
  board = await makeBoard({ POSTS_PER_PAGE: '1', THREADS_PER_PAGE: '1' })
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
  member = board.client()
  await member.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await member.request('/identity/public-key.asc')).text(), tier: 'member' })
  await member.get('/c/lobby/inner')
  thread = (await member.post('/c/lobby/inner', { title: 'Inside', body: 'MEMBERSTEXT one' })).res.headers.get('location')!
  await member.get(thread)
  expect((await member.post(thread, { body: 'MEMBERSTEXT two' })).res.status).toBe(303)
  await member.get('/c/lobby/inner')
  expect((await member.post('/c/lobby/inner', { title: 'Also inside', body: 'MEMBERSTEXT three' })).res.status).toBe(303)
})
afterAll(() => board.close())

const threadNumber = (location: string) => Number(/\/t\/([0-9]+)/.exec(location)![1])

/** The answer with what differs only by request taken out: the form token, and the address the language switch at the foot goes back to (the asker's own). */
const normalised = (text: string) => text.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replace(/([?&;]next=)[^"&]*/g, '$1')

/** Outsiders: no session at all, and a key that is not on the cell's roster. */
async function outsiders(): Promise<[string, Client][]> {
  const stranger = board.client()
  await stranger.takeIdentity()
  const gpg = board.client()
  await logInWith(gpg, await heldKey())
  return [['no session', board.client()], ['off the roster (disposable)', stranger], ['off the roster (GnuPG)', gpg]]
}

describe('a members-only board seen from outside (no existence oracle)', () => {
  it('every GET under the board, existing or not, any page number, gets the same 403 page', async () => {
    const n = threadNumber(thread)
    const missing = `/c/lobby/inner/t/${n + 1000}`
    const addresses = [
      '/c/lobby/inner', '/c/lobby/inner?page=1', '/c/lobby/inner?page=2', '/c/lobby/inner?page=3', '/c/lobby/inner?page=999', '/c/lobby/inner?page=0', '/c/lobby/inner?page=x',
      thread, `${thread}?page=1`, `${thread}?page=2`, `${thread}?page=3`, `${thread}?page=0`, missing, `${missing}?page=2`,
      `${thread}/p/1`, `${thread}/p/2`, `${thread}/p/3`, `${missing}/p/1`,
      `${thread}/p/1.asc`, `${thread}/p/3.asc`, `${missing}/p/1.asc`,
      '/c/lobby/inner/t/0', '/c/lobby/inner/t/x', `${thread}/p/x`, '/c/lobby/inner/anything',
    ]
    for (const [who, c] of await outsiders()) {
      const answers = new Map<string, string[]>()
      for (const path of addresses) {
        const { res, text } = await c.get(path)
        expect(res.status, `${who}: ${path}`).toBe(403)
        expect(text).not.toContain('MEMBERSTEXT')
        const key = normalised(text)
        answers.set(key, [...(answers.get(key) ?? []), path])
      }
      expect([...answers.values()], who).toHaveLength(1)
    }
    // A reader of the board still gets real answers: the page, or "not found".
    const reader: [string, number][] = [[thread, 200], [`${thread}/p/2`, 303], ['/c/lobby/inner?page=2', 200], ['/c/lobby/inner?page=3', 404], [missing, 404], [`${thread}?page=3`, 404], [`${thread}/p/3`, 404], ['/c/lobby/inner/t/x', 404]]
    for (const [path, status] of reader) expect((await member.get(path)).res.status, path).toBe(status)
  })

  it('a POST to the board, to its threads and to missing threads gets the same 403, and stores nothing', async () => {
    const n = threadNumber(thread)
    const before = await board.count('post')
    for (const [who, c] of await outsiders()) {
      await c.get('/identity')
      const toThread = async (m: number) => normalised((await c.post(`/c/lobby/inner/t/${m}`, { body: 'let me in' })).text).replaceAll(`/c/lobby/inner/t/${m}`, 'THREAD')
      const statuses = []
      for (const m of [n, n + 1000]) statuses.push((await c.post(`/c/lobby/inner/t/${m}`, { body: 'let me in' })).res.status)
      statuses.push((await c.post('/c/lobby/inner', { title: 'x', body: 'let me in' })).res.status)
      expect(statuses, who).toEqual([403, 403, 403])
      expect(await toThread(n), who).toBe(await toThread(n + 1000))
    }
    expect(await board.count('post')).toBe(before)
  })
})
