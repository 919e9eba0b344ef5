import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard, createCell } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'

// Addresses count only their own place: a thread's number counts its board's threads, a
// question's number its cell's questions. Row ids, which count the whole server (members'
// boards included), are published nowhere.

let board: Awaited<ReturnType<typeof makeBoard>>
let member: Client
beforeEach(async () => {
  board = await makeBoard()
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
  member = board.client()
  await member.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await member.request('/identity/public-key.asc')).text(), tier: 'voter' })
})
afterEach(() => board.close())

const threadNumber = (location: string) => Number(/\/t\/([0-9]+)/.exec(location)![1])

async function startThread(c: Client, boardSlug: string, title: string, body: string): Promise<number> {
  await c.get(`/c/lobby/${boardSlug}`)
  const r = await c.post(`/c/lobby/${boardSlug}`, { title, body })
  expect(r.res.status).toBe(303)
  return threadNumber(r.res.headers.get('location')!)
}

describe('thread numbers count per board', () => {
  it('a public board’s new thread numbers do not move when members post elsewhere, and a new board starts at 1', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    const first = await startThread(poster, 'general', 'Public one', 'hello')
    const inner = []
    for (let i = 0; i < 3; i++) inner.push(await startThread(member, 'inner', `Quiet ${i}`, 'members talk'))
    expect(inner).toEqual([1, 2, 3])
    const second = await startThread(poster, 'general', 'Public two', 'hello again')
    expect(second).toBe(first + 1)
    // The thread's page, its >>N links, its signed text and the board's list all use the board's number.
    // (A >>N links only to an earlier post that exists, so the reference is in the reply.)
    expect((await poster.get(`/c/lobby/general/t/${second}`)).res.status).toBe(200)
    expect((await poster.post(`/c/lobby/general/t/${second}`, { body: 'a reply to >>1' })).res.status).toBe(303)
    const page = await poster.get(`/c/lobby/general/t/${second}`)
    expect(page.text).toContain(`href="/c/lobby/general/t/${second}/p/1">&gt;&gt;1</a>`)
    const asc = await poster.request(`/c/lobby/general/t/${second}/p/2.asc`)
    // Saved, its file names its place whole: two cells' post 2 of thread 2 are two files.
    expect(asc.headers.get('content-disposition')).toBe(`attachment; filename="lobby-general-t${second}-p2.asc"`)
    expect(await asc.text()).toContain(`\nthread: ${second}\n\na reply to >>1`)
    expect((await poster.get('/c/lobby/general')).text).toContain(`href="/c/lobby/general/t/${second}"`)
    expect((await member.get('/c/lobby/inner/t/3')).text).toContain('Quiet 2')
  })

  it('threads started at the same moment on one board get distinct numbers', async () => {
    const posters = await Promise.all(Array.from({ length: 4 }, async () => {
      const c = board.client()
      await c.takeIdentity()
      await c.get('/c/lobby/general')
      return c
    }))
    const results = await Promise.all(posters.map((c, i) => c.post('/c/lobby/general', { title: `Race ${i}`, body: `race ${i}` })))
    for (const r of results) expect(r.res.status).toBe(303)
    expect(new Set(results.map((r) => threadNumber(r.res.headers.get('location')!))).size).toBe(4)
  })
})

describe('question numbers count per cell', () => {
  it('another cell’s questions do not move them; addresses, ballots and the decision log use them', async () => {
    await createCell(board.deps, { slug: 'other', name: 'Other', principles: ['Be brief.'] })
    await addRosterKey(board.deps, { cell: 'other', armoredKey: await (await member.request('/identity/public-key.asc')).text(), tier: 'voter' })
    const raise = async (cell: string) => {
      await member.get(`/c/${cell}/questions/new?kind=amend_line`)
      const r = await member.post(`/c/${cell}/questions`, { kind: 'amend_line', change: 'add', text: `New principle for ${cell}`, argument: 'why not' })
      expect(r.res.status).toBe(303)
      return Number(r.res.headers.get('location')!.split('/').pop())
    }
    expect(await raise('lobby')).toBe(1)
    expect(await raise('other')).toBe(1)
    expect(await raise('other')).toBe(2)
    expect(await raise('lobby')).toBe(2)
    const page = await member.get('/c/other/questions/2')
    expect(page.text).toContain('New principle for other')
    expect(page.text).toContain('action="/c/other/questions/2/ballot"')
    // The only voter votes: it closes, and the line, the log and the bundle name it by its number.
    await member.post('/c/other/questions/2/ballot', { choice: 'yes' })
    const signed = await member.post('/c/other/questions/2/ballot', { choice: 'yes', confirm: 'yes' })
    expect(signed.res.status).toBe(303)
    const log = (await member.get('/c/other/decisions')).text
    expect(log).toContain('<a href="/c/other/questions/2">Decision 2</a>')
    // Its entries are not numbered by the list: "1." beside "Decision 2" would be a second number.
    expect(log).toContain('<ul class="log">')
    expect(log).not.toMatch(/<ol[^>]*class="log"/)
    expect((await member.get('/c/other/line')).text).toContain('by <a href="/c/other/questions/2">decision 2</a>')
    const bundle = JSON.parse(await (await member.request('/c/other/questions/2/bundle.json')).text())
    expect(bundle.question.number).toBe(2)
    expect(bundle.question.id).toBeUndefined()
    expect(bundle.ballots[0].signedText).toContain('\nquestion: 2\n')
  })
})

describe('no internal ids are published', () => {
  it('a question about a post stores and publishes its place, never the post’s row id', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    const thread = await startThread(poster, 'general', 'A thread', 'a public post')
    await member.get('/c/lobby/questions/new?kind=remove_post')
    const raised = await member.post('/c/lobby/questions', { kind: 'remove_post', board: 'general', thread: String(thread), number: '1', principle: '1', argument: 'Public.' })
    expect(raised.res.status).toBe(303)
    const [payload] = await board.column('select payload from question')
    expect(JSON.parse(String(payload))).toEqual({ kind: 'remove_post', board: 'general', thread, number: 1, principle: 1, principleText: expect.any(String) })
    // The only voter says no: it closes rejected, and its bundle is published.
    await member.get('/c/lobby/questions/1')
    await member.post('/c/lobby/questions/1/ballot', { choice: 'no' })
    expect((await member.post('/c/lobby/questions/1/ballot', { choice: 'no', confirm: 'yes' })).res.status).toBe(303)
    const download = await board.client().request('/c/lobby/questions/1/bundle.json')
    const bundle = await download.text()
    expect(bundle).not.toContain('postId')
    // The decision page's verify-tally line names the file the download is saved as.
    const file = /filename="([^"]+)"/.exec(download.headers.get('content-disposition') ?? '')![1]!
    expect(file).toBe('lobby-question-1.json')
    expect((await board.client().get('/c/lobby/questions/1')).text).toContain(`verify-tally ${file}</code>`)
    expect(JSON.parse(bundle).question.payload).toMatchObject({ board: 'general', thread, number: 1 })
  })
})
