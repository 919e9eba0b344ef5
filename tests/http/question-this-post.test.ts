import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBoard } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'
import { questionsOf } from '../support/questions.ts'

// Every post links to the raise form with its place filled in; the raise form fills in only
// well-formed values from its address.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const raiseLink = (thread: number, n: number) => `<a href="/c/lobby/questions/new?kind=remove_post&amp;board=general&amp;thread=${thread}&amp;number=${n}">question this post</a>`
/** The messages beside the fields, by field. */
const fieldErrors = (page: string) => Object.fromEntries([...page.matchAll(/<p class="field-error" id="([a-z_]+)-error">([^<]*)<\/p>/g)].map((m) => [m[1]!, m[2]!.replace(/&#39;|&rsquo;/g, '’')]))
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

describe('the raise form shows the post it names', () => {
  // Following "question this post" with JavaScript off, the form was three numbers: the person
  // raising the question could not see which words they were about to put to the cell's vote, nor
  // notice a wrong number typed in. The post is shown above the fields, to those who may read it.
  const shown = (page: string) => /<div class="post in-question">([\s\S]*?)<\/div>/.exec(page)?.[1]
  it('on a public board, to anyone: the post named, and after a refusal the post the fields now name', async () => {
    const { c } = await questionsOf(board).disposableOnRoster()
    await c.get('/c/lobby/general')
    const path = (await c.post('/c/lobby/general', { title: 'Questionable', body: 'first-words-0a1' })).res.headers.get('location')!
    await c.get(path)
    await c.post(path, { body: 'second-words-9z8' })
    const thread = Number(path.split('/').pop())
    for (const viewer of [c, board.client()]) {
      const form = (await viewer.get(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=2`)).text
      expect(shown(form)).toContain('second-words-9z8')
      expect(form).not.toContain('first-words-0a1')
    }
    // Sent without a principle: refused beside the field, the post still shown above them.
    const again = await c.post('/c/lobby/questions', { kind: 'remove_post', board: 'general', thread: String(thread), number: '1', principle: '', argument: 'why' })
    expect(again.res.status).toBe(422)
    expect(shown(again.text)).toContain('first-words-0a1')
    // A place with no post, or no such board: nothing shown; a place named in full is told beside
    // its field what sending it would be told (a wrong number typed into the address, a post removed since).
    const cases: [string, string | null, string | null][] = [
      [`board=general&thread=${thread}&number=3`, 'number', 'No post with that thread and number on this board.'],
      [`board=general&thread=${thread + 5}&number=1`, 'number', 'No post with that thread and number on this board.'],
      [`board=nowhere&thread=${thread}&number=1`, 'board', 'No board of this cell has that name.'],
      ['board=general', null, null],
      ['', null, null],
    ]
    for (const [q, field, message] of cases) {
      const { res, text } = await c.get(`/c/lobby/questions/new?kind=remove_post&${q}`)
      expect(res.status, q).toBe(200)
      expect(shown(text), q).toBeUndefined()
      expect(fieldErrors(text), q).toEqual(field ? { [field]: message } : {})
      if (field) expect(text, q).toContain(`id="${field}" name="${field}" value="`)
      if (field) expect(text, q).toMatch(new RegExp(`<input id="${field}" name="${field}" value="[^"]*" aria-describedby="${field}-error" aria-invalid="true">`))
    }
    // The post named exists: no hint.
    expect(fieldErrors((await c.get(`/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=2`)).text)).toEqual({})
    // Refused for another field, the place naming no post: told both at once, not one after the other.
    const both = await c.post('/c/lobby/questions', { kind: 'remove_post', board: 'general', thread: String(thread), number: '7', principle: '', argument: 'why' })
    expect(both.res.status).toBe(422)
    expect(Object.keys(fieldErrors(both.text)).sort()).toEqual(['number', 'principle'])
    expect(fieldErrors(both.text).number).toBe('No post with that thread and number on this board.')
  })

  it('on a members-only board, only to its readers: an outsider who has the place sees the form without the post', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
    const { c } = await questionsOf(board).disposableOnRoster()
    await c.get('/c/lobby/inner')
    const path = (await c.post('/c/lobby/inner', { title: 'Inside', body: 'members-words-5k2' })).res.headers.get('location')!
    const thread = Number(path.split('/').pop())
    const address = `/c/lobby/questions/new?kind=remove_post&board=inner&thread=${thread}&number=1`
    expect(shown((await c.get(address)).text)).toContain('members-words-5k2')
    const stranger = board.client()
    await stranger.takeIdentity()
    for (const outsider of [stranger, board.client()]) {
      const { res, text } = await outsider.get(address)
      expect(res.status).toBe(200)
      expect(text).not.toContain('members-words-5k2')
      expect(shown(text)).toBeUndefined()
      // With an identity, told what sending it would tell: not whether a post is there (without
      // one, the form is a link to take one, and has no fields).
      expect(fieldErrors(text)).toEqual(outsider === stranger ? { board: 'Only those who may read that board may raise questions about its posts.' } : {})
    }
  })
})

describe('from "question this post" without an identity, back to the form with its place', () => {
  it('the raise form links to taking an identity with a way back to itself, place and all; after taking one, "Continue" leads there', async () => {
    // A new reader followed "question this post", was told to take an identity first, took one,
    // and had no way back: the link was a bare /identity, and a way back with a query was dropped
    // (a new user's walkthrough found it).
    const { c } = await questionsOf(board).disposableOnRoster()
    await c.get('/c/lobby/general')
    const path = (await c.post('/c/lobby/general', { title: 'Questionable', body: 'first-words' })).res.headers.get('location')!
    const thread = Number(path.split('/').pop())
    const place = `/c/lobby/questions/new?kind=remove_post&board=general&thread=${thread}&number=1`
    const reader = board.client()
    const form = (await reader.get(place)).text
    expect(form).toContain('To raise a question, <a href="/identity?next=')
    const link = /To raise a question, <a href="([^"]+)">/.exec(form)![1]!.replace(/&amp;/g, '&')
    expect(decodeURIComponent(link.slice('/identity?next='.length))).toBe(place)
    const identity = (await reader.get(link)).text
    expect(identity).toContain(`<input type="hidden" name="next" value="${place.replace(/&/g, '&amp;')}">`)
    const taken = await reader.post('/identity/disposable', { next: place })
    expect(taken.res.status).toBe(303)
    const after = (await reader.get(taken.res.headers.get('location')!)).text
    const back = /<p class="notice"><a href="([^"]+)">Continue to where you were<\/a>/.exec(after)?.[1]?.replace(/&amp;/g, '&')
    expect(back).toBe(place)
    const again = (await reader.get(back!)).text
    expect(again).toContain('first-words')
    expect(again).toContain('<form method="post" action="/c/lobby/questions">')
  })

  it('a kind only the roster may raise: its "log in" link comes back to that kind', async () => {
    await questionsOf(board).disposableOnRoster() // the cell has a voter
    const form = (await board.client().get('/c/lobby/questions/new?kind=amend_line')).text
    expect(form).toContain('(<a href="/identity?next=%2Fc%2Flobby%2Fquestions%2Fnew%3Fkind%3Damend_line">log in</a> with one)')
  })

  it('a way back is a path of this site with at most a plain query: anything else is dropped', async () => {
    const reader = board.client()
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/c/lobby?x=<b>', '/c/lobby?x=a"b', '/c/lobby?x=1#frag']) {
      const page = (await reader.get(`/identity?next=${encodeURIComponent(next)}`)).text
      expect(page, next).not.toContain('name="next"')
    }
  })
})
