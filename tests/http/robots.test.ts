import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBoard, setBoardIndexing } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'

// robots.txt and whether a board asks to be indexed (issue 14). Privacy first: nothing is open to
// crawlers until its operator says so, and a board read from a tier up is never named.
let board: Awaited<ReturnType<typeof makeBoard>>
let thread: string
beforeAll(async () => {
  board = await makeBoard()
  await createBoard(board.deps, { cell: 'lobby', slug: 'open-two', name: 'Open two', description: '', retentionDays: null })
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner-circle', name: 'Inner', description: '', read: 'member', retentionDays: null })
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  thread = (await c.post('/c/lobby/general', { title: 'Indexed or not', body: 'x' })).res.headers.get('location')!
})
afterAll(() => board.close())

const NOINDEX = '<meta name="robots" content="noindex">'
const robots = async () => {
  const res = await board.client().request('/robots.txt')
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  expect(res.headers.get('set-cookie')).toBeNull()
  return res.text()
}

describe('GET /robots.txt and board indexable', () => {
  it('at first every board asks not to be indexed: robots.txt disallows everything, and every page says noindex', async () => {
    const text = await robots()
    expect(text).toMatch(/^User-agent: \*$/m)
    expect(text).toMatch(/^Disallow: \/$/m)
    expect(text).not.toMatch(/^Allow:/m)
    const reader = board.client()
    for (const path of ['/', '/c/lobby', '/c/lobby/general', thread, '/c/lobby/open-two', '/privacy']) expect((await reader.get(path)).text, path).toContain(NOINDEX)
  })

  it('a public board set indexable is let in by its own address only, and its pages (also those already cached whole) drop the noindex', async () => {
    const reader = board.client()
    await reader.get('/c/lobby/general')
    await reader.get(thread) // both now kept whole for readers without a session
    await setBoardIndexing(board.deps, { cell: 'lobby', board: 'general', indexable: true })
    const text = await robots()
    const rules = text.split('\n').filter((l) => /^(Allow|Disallow):/.test(l))
    expect(rules).toEqual(['Allow: /c/lobby/general$', 'Allow: /c/lobby/general?', 'Allow: /c/lobby/general/', 'Disallow: /'])
    for (const path of ['/c/lobby/general', '/c/lobby/general?page=1', thread]) expect((await reader.get(path)).text, path).not.toContain(NOINDEX)
    for (const path of ['/', '/c/lobby', '/c/lobby/open-two']) expect((await reader.get(path)).text, path).toContain(NOINDEX)
    // And back.
    await setBoardIndexing(board.deps, { cell: 'lobby', board: 'general', indexable: false })
    expect(await robots()).not.toMatch(/^Allow:/m)
    for (const path of ['/c/lobby/general', thread]) expect((await reader.get(path)).text, path).toContain(NOINDEX)
  })

  it('a board only a tier reads cannot ask to be indexed, and robots.txt never names it, even when set in the database', async () => {
    await expect(setBoardIndexing(board.deps, { cell: 'lobby', board: 'inner-circle', indexable: true })).rejects.toMatchObject({ status: 422 })
    expect(await board.count('board', "where slug = 'inner-circle' and indexable = 1")).toBe(0)
    // Made public, set indexable, then read from a tier up again: it is not named, and its pages keep the noindex.
    await board.column("update board set indexable = 1 where slug = 'inner-circle'")
    board.deps.cache.clear()
    expect(await robots()).not.toContain('inner-circle')
    const member = await board.client().get('/c/lobby/inner-circle')
    expect(member.text).toContain(NOINDEX)
  })

  it('the setting is a 0/1 column, 0 at first (the migration’s CHECK refuses anything else)', async () => {
    expect(await board.column("select indexable from board where slug = 'open-two'")).toEqual([0])
    await expect(board.column("update board set indexable = 2 where slug = 'open-two'")).rejects.toThrow()
  })
})
