import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard } from '../../src/services/cells.ts'
import { removePost, removeThread } from '../../src/services/forget.ts'
import { verifyTally } from '../../src/services/verify-tally.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { heldKey, logInWith, unescape } from '../support/keys.ts'

// A question about a post on a members-only board is public (anyone may check the decision), but
// the post is not: its text, its place and the argument (which may quote it) are for readers of
// that board only. And nothing published carries an internal row id.

let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now()
  board = await makeBoard({}, () => now)
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
})
afterEach(() => board.close())

type Voter = { c: Client; fpr: string }
async function voterOnRoster(): Promise<Voter> {
  const c = board.client()
  const fpr = await c.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: 'voter' })
  return { c, fpr }
}

async function vote(v: Voter, q: number, choice: 'yes' | 'no') {
  await v.c.get(`/c/lobby/questions/${q}`)
  await v.c.post(`/c/lobby/questions/${q}/ballot`, { choice })
  expect((await v.c.post(`/c/lobby/questions/${q}/ballot`, { choice, confirm: 'yes' })).res.status).toBe(303)
}

async function postOn(c: Client, boardSlug: string, text: string) {
  await c.get(`/c/lobby/${boardSlug}`)
  const location = (await c.post(`/c/lobby/${boardSlug}`, { title: 'A thread', body: text })).res.headers.get('location')!
  return Number(/\/t\/([0-9]+)/.exec(location)![1])
}

async function raise(c: Client, fields: Record<string, string>): Promise<number> {
  await c.get('/c/lobby/questions/new?kind=remove_post')
  const r = await c.post('/c/lobby/questions', { kind: 'remove_post', principle: '1', number: '1', ...fields })
  expect(r.res.status, /role="alert">([^<]*)/.exec(r.text)?.[1]).toBe(303)
  return Number(r.res.headers.get('location')!.split('/').pop())
}

/** Outsiders: no session, and an identity (disposable, or a held key) not on the roster. */
async function outsiders(): Promise<[string, Client][]> {
  const stranger = board.client()
  await stranger.takeIdentity()
  const gpg = board.client()
  await logInWith(gpg, await heldKey())
  return [['no session', board.client()], ['off the roster', stranger], ['held key off the roster', gpg]]
}

describe('a question about a post on a members-only board', () => {
  it('outsiders see that it exists, the principle, the tally and the ballots, but not the post, its place or the argument; readers see all', async () => {
    const [a, b, c] = [await voterOnRoster(), await voterOnRoster(), await voterOnRoster()]
    const post = `MEMBERSPOST${randomBytes(6).toString('hex')}`
    const quoted = `QUOTED${randomBytes(6).toString('hex')}`
    const thread = await postOn(a.c, 'inner', `${post} is what we said inside`)
    const q = await raise(b.c, { board: 'inner', thread: String(thread), argument: `It says “${quoted}”.` })

    const pages = [`/c/lobby/questions`, `/c/lobby/questions/${q}`]
    const hidden = (text: string, where: string) => {
      const t = unescape(text)
      expect(t, where).not.toContain(post)
      expect(t, where).not.toContain(quoted)
      expect(t, where).not.toContain('/c/lobby/inner')
      expect(t, where).not.toContain('“inner”')
      expect(t, where).not.toMatch(/thread \d+/)
      expect(t, where).toContain('a post on a members-only board')
      expect(t, where).toContain("1. <bdi>Say what you mean")
    }
    const outside = await outsiders()
    for (const [who, o] of outside) for (const path of pages) hidden((await o.get(path)).text, `${who} ${path}`)
    // The roster reads the board, so it sees what it is voting on.
    for (const path of pages) {
      const t = unescape((await c.c.get(path)).text)
      expect(t, path).toContain(post)
      expect(t, path).toContain(quoted)
      expect(t, path).toContain(`/c/lobby/inner/t/${thread}/p/1`)
    }
    const mine = (await c.c.get('/questions')).text
    expect(mine).toContain(`lobby: question ${q}</a> — Remove a post`)
    expect(mine).not.toContain(post)
    // Rejected: the post stays, and so does the question's public record.
    await vote(a, q, 'no')
    await vote(c, q, 'no')
    for (const [who, o] of outside) {
      const decision = await o.get(`/c/lobby/questions/${q}`)
      hidden(decision.text, `${who} decision`)
      expect(decision.text).toContain('Decision: Rejected')
      expect(decision.text.match(/-----BEGIN PGP SIGNED MESSAGE-----/g)).toHaveLength(2)
      const log = unescape((await o.get('/c/lobby/decisions')).text)
      expect(log).toContain(`Decision ${q}</a>: Remove a post`)
      expect(log).not.toContain(post)
      // The bundle: ballots, eligible keys and tally, nothing of the post; it still rechecks.
      const res = await o.request(`/c/lobby/questions/${q}/bundle.json`)
      expect(res.status).toBe(200)
      const text = await res.text()
      for (const leak of [post, quoted, 'inner', 'postId', '"thread"']) expect(text, `${who} bundle`).not.toContain(leak)
      const bundle = JSON.parse(text)
      expect(bundle.question.payload).toEqual({ kind: 'remove_post', withheld: 'a post on a members-only board', principle: 1, principleText: expect.stringContaining('Say what you mean') })
      expect(bundle.question.argument).toBeNull()
      expect(bundle.eligible).toHaveLength(3)
      expect(bundle.ballots).toHaveLength(2)
      expect(await verifyTally(bundle)).toMatchObject({ ok: true, outcome: 'rejected', problems: [] })
    }
    const own = JSON.parse(await (await c.c.request(`/c/lobby/questions/${q}/bundle.json`)).text())
    expect(own.question.payload).toMatchObject({ kind: 'remove_post', board: 'inner', thread, number: 1 })
    expect(own.question.argument).toContain(quoted)
  })

  it('adopted: the post is removed by its place, and outsiders still see nothing of it', async () => {
    const [a, b] = [await voterOnRoster(), await voterOnRoster()]
    const post = `MEMBERSPOST${randomBytes(6).toString('hex')}`
    const thread = await postOn(a.c, 'inner', `${post} again`)
    await a.c.get(`/c/lobby/inner/t/${thread}`)
    expect((await a.c.post(`/c/lobby/inner/t/${thread}`, { body: 'a reply that stays' })).res.status).toBe(303)
    const q = await raise(b.c, { board: 'inner', thread: String(thread), argument: 'Off the line.' })
    await vote(a, q, 'yes')
    await vote(b, q, 'yes')
    expect(await board.count('post', 'where body_source like ?', `%${post}%`)).toBe(0)
    expect(await board.count('post', 'where body_source = ?', 'a reply that stays')).toBe(1)
    for (const [who, o] of await outsiders()) {
      const t = unescape((await o.get(`/c/lobby/questions/${q}`)).text)
      expect(t, who).toContain('Decision: Adopted')
      expect(t, who).toContain('a post on a members-only board')
      expect(t, who).not.toContain('/c/lobby/inner')
      expect(t, who).not.toContain('Off the line.')
    }
    expect(unescape((await b.c.get(`/c/lobby/questions/${q}`)).text)).toContain('The post was removed; its content is not shown.')
  })

  it('the operator’s removals on a members’ board are logged without thread or post numbers', async () => {
    const a = await voterOnRoster()
    const thread = await postOn(a.c, 'inner', 'to be removed by the operator')
    await a.c.get(`/c/lobby/inner/t/${thread}`)
    await a.c.post(`/c/lobby/inner/t/${thread}`, { body: 'a reply' })
    await removePost(board.deps, { cell: 'lobby', board: 'inner', thread, number: 2 })
    await removeThread(board.deps, { cell: 'lobby', board: 'inner', thread })
    const log = unescape((await board.client().get('/c/lobby/decisions')).text)
    expect(log).toContain('removed a post on the members-only board "inner"')
    expect(log).toContain('removed a thread on the members-only board "inner", with its posts')
    expect(log).not.toMatch(/(thread|post) \d+/)
  })
})
