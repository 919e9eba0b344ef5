import { randomBytes } from 'node:crypto'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WITHHELD_POST } from '../../src/domain/questions.ts'
import { createBoard } from '../../src/services/cells.ts'
import { removePost, removeThread } from '../../src/services/forget.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { alertOf, questionsOf } from '../support/questions.ts'

// Atom feeds (issue 13), through the app on both dialects: each feed is read with a real XML
// parser and held to what RFC 4287 requires of a feed and its entries; entries come with posts
// and decisions and leave with removals; a board's feed answers exactly as its page does.

const PUBLIC_URL = 'http://exampleexampleexample.onion'
const ATOM_NS = 'http://www.w3.org/2005/Atom'
/** RFC 3339, as Atom's dates are; and coarse: on the hour (TIME_GRANULARITY_MINUTES is 60). */
const COARSE = /^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard({ PUBLIC_URL })
})
afterEach(() => board.close())

type Link = { '@_href': string; '@_rel'?: string; '@_type'?: string }
type Text = string | { '#text': string; '@_type'?: string }
type Entry = { id: string; title: Text; updated: string; link: Link[]; content?: Text; author?: { name: string }[] }
type Atom = { id: string; title: Text; updated: string; link: Link[]; author?: { name: string }[]; entry: Entry[] }

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => ['entry', 'link', 'author'].includes(name), parseTagValue: false })
const textOf = (t: Text | undefined) => (typeof t === 'object' ? t['#text'] : (t ?? ''))
/** A title or content sent as type="html": the text a reader sees (entities decoded once). */
const shownText = (t: Text | undefined) => unescape(textOf(t))
const absolute = (iri: string) => /^[a-z][a-z0-9+.-]*:/.test(iri) && URL.canParse(iri)

/** A feed as a reader fetches it: 200, Atom, well-formed, and every element RFC 4287 requires there. */
async function readFeed(c: Client, path: string): Promise<{ feed: Atom; text: string }> {
  const { res, text } = await c.get(path)
  expect(res.status, text.slice(0, 300)).toBe(200)
  expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8')
  expect(XMLValidator.validate(text)).toBe(true)
  const doc = parser.parse(text)
  const feed = doc.feed as Atom
  expect(doc.feed['@_xmlns']).toBe(ATOM_NS)
  // atom:feed: exactly one id (an IRI), title and updated; an author, since entries need not have one.
  expect(absolute(feed.id), feed.id).toBe(true)
  expect(textOf(feed.title)).not.toBe('')
  expect(feed.updated).toMatch(COARSE)
  expect(feed.author?.[0]?.name).toBeTruthy()
  expect(feed.link.find((l) => l['@_rel'] === 'self')?.['@_href']).toBe(PUBLIC_URL + path)
  expect(feed.link.find((l) => l['@_rel'] === 'alternate')?.['@_href']).toMatch(new RegExp(`^${PUBLIC_URL}/c/`))
  const entries = feed.entry ?? []
  for (const e of entries) {
    expect(absolute(e.id), e.id).toBe(true)
    expect(textOf(e.title)).not.toBe('')
    expect(e.updated).toMatch(COARSE)
    // An entry's link with no rel is its alternate (RFC 4287 4.2.7.2): the page it is read on.
    const alternate = e.link.filter((l) => (l['@_rel'] ?? 'alternate') === 'alternate')
    expect(alternate).toHaveLength(1)
    expect(alternate[0]!['@_href'].startsWith(`${PUBLIC_URL}/c/`)).toBe(true)
    expect(e.updated <= feed.updated).toBe(true)
  }
  expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length)
  return { feed: { ...feed, entry: entries }, text }
}

const hrefOf = (e: Entry) => e.link[0]!['@_href'].slice(PUBLIC_URL.length)
/** What differs only by request: the form token. */
// The language links at the foot come back to the address asked for (the feed's, or the page's).
const normalised = (text: string) => text.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replace(/next=[^"&]*(%2F)?feed\.atom"/g, (m) => m.replace(/%2Ffeed\.atom"$/, '"'))

describe('a board’s feed', () => {
  it('GET /c/:cell/:board/feed.atom: empty, then a new thread and a reply as entries, newest first, with coarse times and absolute links', async () => {
    const c = board.client()
    let { feed } = await readFeed(c, '/c/lobby/general/feed.atom')
    expect(feed.entry).toEqual([])
    expect(feed.id).toMatch(/^tag:cellboard\.local,\d{4}-\d\d-\d\d:lobby\/general$/)

    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const title = `Rent <b>strike</b> & ]]> ${randomBytes(3).toString('hex')}`
    const start = await c.post('/c/lobby/general', { title, body: 'FIRSTPOSTMARKER' })
    expect(start.res.status, alertOf(start.text)).toBe(303)
    const thread = start.res.headers.get('location')!
    await c.get(thread)
    expect((await c.post(thread, { body: 'Agreed with >>1. SECONDPOSTMARKER' })).res.status).toBe(303)

    ;({ feed } = await readFeed(c, '/c/lobby/general/feed.atom'))
    expect(feed.entry.map(hrefOf)).toEqual([`${thread}/p/2`, `${thread}/p/1`])
    const [reply, opening] = feed.entry as [Entry, Entry]
    // The title is text, whatever it holds: escaped once as HTML, and the CDATA section intact.
    expect(shownText(opening.title)).toBe(title)
    expect(shownText(reply.title)).toBe(`Re: ${title} (post 2)`)
    expect(textOf(opening.content)).toContain('FIRSTPOSTMARKER')
    expect(textOf(reply.content)).toContain('SECONDPOSTMARKER')
    // A >>1 reference links the post absolutely: a feed reader has no page to resolve it against.
    expect(textOf(reply.content)).toContain(`href="${PUBLIC_URL}${thread}/p/1"`)
    expect(opening.id).toMatch(/^tag:cellboard\.local,\d{4}-\d\d-\d\d:lobby\/general\/t\/\d+\/p\/1$/)
    // The key's pseudonym, as the thread page shows it; the feed's own author is the cell.
    expect(opening.author?.[0]?.name).toMatch(/ · [0-9A-F ]+$/i)
    expect(feed.author?.[0]?.name).toBe('Lobby')
    expect(feed.updated).toBe(reply.updated)
    // The times are the posts' stored coarse times.
    expect(await board.column('select created_at from post order by id desc')).toEqual([reply.updated, opening.updated])
  })

  it('a removed post leaves the feed at once, its text with it (post remove)', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const thread = (await c.post('/c/lobby/general', { title: 'Kept', body: 'KEPTMARKER' })).res.headers.get('location')!
    await c.get(thread)
    await c.post(thread, { body: 'REMOVEDMARKER' })
    // Read once, so the feed is kept as bytes: the removal must drop it.
    expect((await readFeed(board.client(), '/c/lobby/general/feed.atom')).text).toContain('REMOVEDMARKER')

    await removePost(board.deps, { cell: 'lobby', board: 'general', thread: Number(thread.split('/').pop()), number: 2 })
    const { feed, text } = await readFeed(board.client(), '/c/lobby/general/feed.atom')
    expect(text).not.toContain('REMOVEDMARKER')
    expect(feed.entry.map(hrefOf)).toEqual([`${thread}/p/1`])
  })

  it('a tiered board: 403 with the same page as the board’s for whoever may not read it; 200 for a reader with a session', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', post: 'member', retentionDays: null })
    const q = questionsOf(board)
    const member = await q.disposableOnRoster('member')
    await member.c.get('/c/lobby/inner')
    expect((await member.c.post('/c/lobby/inner', { title: 'SECRETTITLE', body: 'SECRETBODY' })).res.status).toBe(303)

    const anonymous = board.client()
    const offRoster = board.client()
    await offRoster.takeIdentity()
    for (const [who, c] of [['no session', anonymous], ['off the roster', offRoster]] as const) {
      const page = await c.get('/c/lobby/inner')
      const feed = await c.get('/c/lobby/inner/feed.atom')
      expect([page.res.status, feed.res.status], who).toEqual([403, 403])
      expect(feed.res.headers.get('content-type'), who).toBe(page.res.headers.get('content-type'))
      expect(normalised(feed.text), who).toBe(normalised(page.text))
      expect(feed.text, who).not.toContain('SECRET')
    }
    // No such board: the same "not found" as its page.
    const missing = await anonymous.get('/c/lobby/nowhere/feed.atom')
    expect(missing.res.status).toBe(404)
    expect(normalised(missing.text)).toBe(normalised((await anonymous.get('/c/lobby/nowhere')).text))

    const { feed } = await readFeed(member.c, '/c/lobby/inner/feed.atom')
    expect(feed.entry.map((e) => shownText(e.title))).toEqual(['SECRETTITLE'])
    // Its page tells the member so beside the link (a feed reader added it, and got only an error); a board anyone reads does not.
    const members = 'Its feed opens only in this browser while you are logged in: a feed reader carries no identity, and is refused as anyone would be.'
    expect(unescape((await member.c.get('/c/lobby/inner')).text)).toContain(`Follow this board (Atom feed: its address goes in a feed reader)</a> <small>${members}</small>`)
    expect(unescape((await member.c.get('/c/lobby/general')).text)).not.toContain(members)
    // Kept as bytes for readers: still refused to the others after a reader read it.
    expect((await anonymous.get('/c/lobby/inner/feed.atom')).res.status).toBe(403)
  })
})

describe('the cell’s feeds', () => {
  it('GET /c/:cell/decisions/feed.atom: each closed question with its outcome; a post on a board the reader may not read is withheld', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'voter', post: 'voter', retentionDays: null })
    const q = questionsOf(board)
    const v = await q.threeVoters()
    expect((await readFeed(board.client(), '/c/lobby/decisions/feed.atom')).feed.entry).toEqual([])
    await v.disposable.c.get('/c/lobby/inner')
    const start = await v.disposable.c.post('/c/lobby/inner', { title: 'Inner thread', body: 'INNERPOSTMARKER' })
    expect(start.res.status, alertOf(start.text)).toBe(303)
    const n = await q.raised(v.gpg.c, { kind: 'remove_post', board: 'inner', thread: '1', number: '1', principle: '1', argument: 'ARGUMENTMARKER' })
    await q.voteOk(v.gpg, n, 'yes')
    await q.voteOk(v.other, n, 'yes')

    // A voter reads the inner board: the feed says which post it was.
    let { feed, text } = await readFeed(v.gpg.c, '/c/lobby/decisions/feed.atom')
    expect(feed.entry).toHaveLength(1)
    expect(shownText(feed.entry[0]!.title)).toBe(`Decision ${n}: Remove a post — adopted`)
    expect(hrefOf(feed.entry[0]!)).toBe(`/c/lobby/questions/${n}`)
    expect(shownText(feed.entry[0]!.content)).toContain('post 1 of thread 1 on “inner”, under principle 1')
    expect(feed.entry[0]!.updated).toBe(String((await board.column('select closed_at from question where number = ?', n))[0]))
    // Anyone else is told there was one, and nothing of where or what.
    ;({ feed, text } = await readFeed(board.client(), '/c/lobby/decisions/feed.atom'))
    expect(shownText(feed.entry[0]!.content)).toContain(WITHHELD_POST)
    expect(text).not.toContain('inner')
    for (const marker of ['INNERPOSTMARKER', 'ARGUMENTMARKER']) expect(text).not.toContain(marker)
  })

  it('GET /c/:cell/decisions/answers.atom: an adopted answer’s thread, until the thread is removed', async () => {
    const q = questionsOf(board)
    const v = await q.threeVoters()
    const rejected = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: 'Not this one.', answer: 'REJECTEDMARKER', reference: '', argument: 'x' })
    await q.voteOk(v.disposable, rejected, 'no')
    await q.voteOk(v.other, rejected, 'no')
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: 'Where do you meet?', answer: 'ANSWERMARKER', reference: '', argument: 'x' })
    await q.voteOk(v.disposable, n, 'yes')
    await q.voteOk(v.other, n, 'yes')

    let { feed, text } = await readFeed(board.client(), '/c/lobby/decisions/answers.atom')
    expect(feed.entry.map(hrefOf)).toEqual(['/c/lobby/general/t/1'])
    expect(shownText(feed.entry[0]!.title)).toBe('A reader writes')
    expect(textOf(feed.entry[0]!.content)).toContain('Where do you meet?')
    expect(textOf(feed.entry[0]!.content)).toContain('ANSWERMARKER')
    expect(text).not.toContain('REJECTEDMARKER')

    await removeThread(board.deps, { cell: 'lobby', board: 'general', thread: 1 })
    ;({ feed, text } = await readFeed(board.client(), '/c/lobby/decisions/answers.atom'))
    expect(feed.entry).toEqual([])
    expect(text).not.toContain('ANSWERMARKER')
  })

  it('an answer published on a board the reader may not read is not in their feed', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'voter', post: 'voter', retentionDays: null })
    const q = questionsOf(board)
    const v = await q.threeVoters()
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'inner', text: 'A letter.', answer: 'INNERANSWERMARKER', reference: '', argument: 'x' })
    await q.voteOk(v.disposable, n, 'yes')
    await q.voteOk(v.other, n, 'yes')
    expect((await readFeed(v.gpg.c, '/c/lobby/decisions/answers.atom')).feed.entry.map(hrefOf)).toEqual(['/c/lobby/inner/t/1'])
    const { feed, text } = await readFeed(board.client(), '/c/lobby/decisions/answers.atom')
    expect(feed.entry).toEqual([])
    expect(text).not.toContain('INNERANSWERMARKER')
  })
})

describe('pages link their feeds', () => {
  it('the board, cell and decisions pages name their feeds in the head (rel="alternate") and link them in the page', async () => {
    const c = board.client()
    for (const [page, feeds] of [
      ['/c/lobby/general', ['/c/lobby/general/feed.atom']],
      ['/c/lobby', ['/c/lobby/decisions/feed.atom', '/c/lobby/decisions/answers.atom']],
      ['/c/lobby/decisions', ['/c/lobby/decisions/feed.atom', '/c/lobby/decisions/answers.atom']],
    ] as const) {
      // Twice: the second is the page as kept whole for readers without a session.
      for (const round of [1, 2]) {
        const { res, text } = await c.get(page)
        expect(res.status).toBe(200)
        const [head, body] = text.split('</head>') as [string, string]
        for (const feed of feeds) {
          expect(head, `${page} (${round})`).toMatch(new RegExp(`<link rel="alternate" type="application/atom\\+xml" title="[^"]+" href="${feed}">`))
          expect(body, `${page} (${round})`).toContain(`<a href="${feed}" type="application/atom+xml" hx-boost="false">`)
          await readFeed(c, feed)
        }
      }
    }
  })
})
