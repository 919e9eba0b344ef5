import { randomBytes } from 'node:crypto'
import * as openpgp from 'openpgp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBoard } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { openLetter, referenceOn, withCellKey } from '../support/letters.ts'
import { alertOf, questionsOf } from '../support/questions.ts'

// "Publish an answer to a letter" (issue 12, public answers), end to end through HTTP on both
// dialects: a letter is sent and decrypted by the test (the only holder of the cell's private
// key), a voter raises its answer, the voters adopt it with real signed ballots, and the thread is
// published, signed, and linked from the decision.

let board: Awaited<ReturnType<typeof makeBoard>>
let q: ReturnType<typeof questionsOf>
beforeEach(async () => {
  board = await makeBoard()
  q = questionsOf(board)
})
afterEach(() => board.close())

const count = (table: string, where = '', ...params: unknown[]) => board.count(table, where, ...params)
const page = async (path: string) => unescape((await board.client().get(path)).text)
const fieldError = (text: string, name: string) => new RegExp(`<p class="field-error" id="${name}-error">([^<]*)</p>`).exec(text)?.[1] ?? null
const textareaOf = (text: string, name: string) => unescape(new RegExp(`<textarea id="${name}" name="${name}"[^>]*>([^<]*)</textarea>`).exec(text)?.[1] ?? '')

/** A letter sent with JavaScript off, downloaded from the inbox by a voter and decrypted offline. */
async function receivedLetter(reader: { c: { request: (p: string) => Promise<Response> } }) {
  const cellKey = await withCellKey(board)
  const writer = board.client()
  await writer.get('/c/lobby/letters/new')
  const words = `My landlord raised the rent twice this year ${randomBytes(3).toString('hex')}. What can tenants do together?`
  const sent = await writer.post('/c/lobby/letters', { text: words })
  expect(sent.res.status).toBe(200)
  const reference = referenceOn(sent.text)!
  const inbox = await (await reader.c.request('/c/lobby/letters/inbox.asc')).text()
  expect(inbox).toContain(`Comment: cellboard letter ${reference}`)
  const { text } = await openLetter(inbox, cellKey.privateKey)
  expect(text).toBe(words)
  return { reference, text }
}

describe('publish an answer to a letter', () => {
  it('raised, adopted: a thread "A reader writes" with the letter and "The cell replies" with the answer, signed, named by the reference, linked from the decision', async () => {
    const v = await q.threeVoters()
    const letter = await receivedLetter(v.gpg)
    const answer = `Organise the building first: one tenants’ meeting, one letter to the landlord. ${randomBytes(3).toString('hex')}`
    // Typed as a person might copy it: lower case, spaces for dashes.
    const typedRef = letter.reference.toLowerCase().replace(/-/g, ' ')
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: letter.text, answer, reference: typedRef, argument: 'Many readers ask this.' })

    // The question shows what would be published; nothing is published yet.
    let shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).toContain('Question ' + n + '</a>: Publish an answer to a letter')
    expect(shown).toContain(`<code class="reference">${letter.reference}</code>`)
    expect(shown).toContain(letter.text)
    expect(shown).toContain(answer)
    expect(await count('thread')).toBe(0)
    // The board's page, as kept for every reader, shows it once it is published (below).
    expect(await page('/c/lobby/general')).not.toContain('A reader writes')

    await q.voteOk(v.disposable, n, 'yes')
    await q.voteOk(v.other, n, 'yes')
    shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).toContain('Decision: Adopted')

    // The decision links the thread it published, on the board the question named.
    const link = /Published as <a href="(\/c\/lobby\/general\/t\/(\d+))">thread \d+ on “general”<\/a>, for the writer of letter <code class="reference">([^<]+)<\/code>/.exec(shown)
    expect(link, shown).not.toBeNull()
    const [, threadPath, threadNumber, namedRef] = link!
    expect(namedRef).toBe(letter.reference)
    const payload = JSON.parse(String((await board.column('select payload from question where number = ?', n))[0]))
    expect(payload).toMatchObject({ kind: 'publish_answer', board: 'general', reference: letter.reference, thread: Number(threadNumber) })
    const bundle = JSON.parse(await (await board.client().request(`/c/lobby/questions/${n}/bundle.json`)).text())
    expect(bundle.question.payload.thread).toBe(Number(threadNumber))
    expect(await page('/c/lobby/decisions')).toMatch(new RegExp(`Decision ${n}</a>: Publish an answer to a letter — <b>adopted</b>`))

    // The board lists it by a title that names the reference, so its writer can find it.
    expect(await page('/c/lobby/general')).toContain(`A reader writes (letter ${letter.reference})`)
    const thread = await page(threadPath!)
    const posts = thread.split('<article id="p').slice(1)
    expect(posts).toHaveLength(2)
    expect(posts[0]).toContain(`A reader writes (letter ${letter.reference}):`)
    expect(posts[0]).toContain(letter.text)
    expect(posts[0]).toContain(`Published by decision ${n} of the cell.`)
    expect(posts[1]).toContain('The cell replies:')
    expect(posts[1]).toContain(answer)
    expect(await count('post')).toBe(2)

    // Both posts are signed by one key, made for this decision: neither a voter's nor the raiser's.
    const keys = await board.column('select distinct k.fingerprint from post p join public_key k on k.id = p.key_id')
    expect(keys).toHaveLength(1)
    const fpr = String(keys[0])
    expect([v.gpg.fpr, v.disposable.fpr, v.other.fpr]).not.toContain(fpr)
    expect(await board.column('select signing from post order by number')).toEqual(['disposable', 'disposable'])
    const armoredKey = await (await board.client().request(`/k/${fpr}.asc`)).text()
    const key = await openpgp.readKey({ armoredKey })
    expect(key.getUserIDs()).toEqual([`cellboard decision ${n} of lobby`])
    for (const [number, body] of [
      [1, `cellboard post v1\nsite: cellboard.local\ncell: lobby\nboard: general\nthread: new\ntitle: A reader writes (letter ${letter.reference})\n\nA reader writes (letter ${letter.reference}):\n\n${letter.text}\n\nPublished by decision ${n} of the cell.`],
      [2, `cellboard post v1\nsite: cellboard.local\ncell: lobby\nboard: general\nthread: ${threadNumber}\n\nThe cell replies:\n\n${answer}`],
    ] as const) {
      const signed = await (await board.client().request(`${threadPath}/p/${number}.asc`)).text()
      const message = await openpgp.readCleartextMessage({ cleartextMessage: signed })
      const verified = await openpgp.verify({ message, verificationKeys: key })
      await expect(verified.signatures[0]!.verified).resolves.toBe(true)
      expect(verified.data).toBe(body)
    }
    // The private key was only for this: nothing of it is held once the decision is carried out.
    const { holdsSigningKey } = await import('../../src/pgp.ts')
    expect(holdsSigningKey(fpr)).toBe(false)
  })

  it('without a reference, and for a letter already handled: the thread is "A reader writes" and names none', async () => {
    const v = await q.threeVoters()
    // A well-formed reference need not name a letter still here (it may be handled already).
    const gone = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: 'Is the meeting open to all?', answer: 'Yes.', reference: '7KQM-2XPA-9DRT-4HWB', argument: 'x' })
    expect(await page(`/c/lobby/questions/${gone}`)).toContain('<code class="reference">7KQM-2XPA-9DRT-4HWB</code>')
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: 'Where do you meet?', answer: 'We do not say here.', reference: '', argument: 'x' })
    await q.voteOk(v.disposable, n, 'yes')
    await q.voteOk(v.other, n, 'yes')
    expect(await board.column('select title from thread')).toEqual(['A reader writes'])
    const shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).toMatch(/Published as <a href="\/c\/lobby\/general\/t\/1">thread 1 on “general”<\/a>\./)
    expect(await board.column('select body_source from post order by number')).toEqual([`A reader writes:\n\nWhere do you meet?\n\nPublished by decision ${n} of the cell.`, 'The cell replies:\n\nWe do not say here.'])
  })

  it('rejected: nothing is published', async () => {
    const v = await q.threeVoters()
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: 'A letter.', answer: 'An answer.', argument: 'x' })
    await q.voteOk(v.disposable, n, 'no')
    await q.voteOk(v.other, n, 'no')
    const shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).toContain('Decision: Rejected')
    expect(shown).not.toContain('Published as')
    expect(await count('thread')).toBe(0)
    expect(await count('post')).toBe(0)
  })

  it('for a members-only board: only those who may read it see the letter, the answer and where; the thread is published there', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
    const v = await q.threeVoters()
    const secret = `Inner letter ${randomBytes(4).toString('hex')}`
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'inner', text: secret, answer: 'Inner answer.', reference: '7KQM-2XPA-9DRT-4HWB', argument: `Argument quoting ${secret}` })
    const outsider = await page(`/c/lobby/questions/${n}`)
    expect(outsider).toContain('Publish <b>an answer to a letter, for a members-only board</b>.')
    for (const hidden of [secret, 'Inner answer.', '7KQM-2XPA-9DRT-4HWB', 'inner']) expect(outsider).not.toContain(hidden)
    // A voter reads the board, so sees it all.
    expect(unescape((await v.other.c.get(`/c/lobby/questions/${n}`)).text)).toContain(secret)

    await q.voteOk(v.disposable, n, 'yes')
    await q.voteOk(v.other, n, 'yes')
    const bundle = await (await board.client().request(`/c/lobby/questions/${n}/bundle.json`)).text()
    expect(bundle).not.toContain(secret)
    expect(bundle).not.toContain('"thread"')
    expect(await page(`/c/lobby/questions/${n}`)).not.toContain('/c/lobby/inner/t/')
    const decided = unescape((await v.other.c.get(`/c/lobby/questions/${n}`)).text)
    expect(decided).toContain('Published as <a href="/c/lobby/inner/t/1">thread 1 on “inner”</a>')
    expect(unescape((await v.other.c.get('/c/lobby/inner/t/1')).text)).toContain(secret)
    expect((await board.client().get('/c/lobby/inner/t/1')).res.status).toBe(403)
  })
})

describe('the board to publish on', () => {
  it('is chosen from the boards the raiser reads, by their names (a select, with JavaScript off too), and kept after a refusal', async () => {
    // It was a box asking for the board's "short name", which no page shows but its address (a new user's walkthrough).
    await createBoard(board.deps, { cell: 'lobby', slug: 'souq', name: 'رئيسي', description: '', read: null, retentionDays: null })
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
    const v = await q.threeVoters()
    const form = unescape((await v.gpg.c.get('/c/lobby/questions/new?kind=publish_answer')).text)
    const select = /<select id="board" name="board"[^>]*>([\s\S]*?)<\/select>/.exec(form)?.[1]
    expect(select).toBeDefined()
    const options = [...select!.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1], m[2]])
    expect(options).toEqual([['', '—'], ['general', 'General'], ['souq', 'رئيسي'], ['inner', 'Inner']])
    expect(form).not.toContain('short name')
    const r = await q.raise(v.gpg.c, { kind: 'publish_answer', board: 'souq', text: '', answer: 'An answer.', reference: '', argument: 'x' })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('<option value="souq" selected>')
    // None chosen: told beside it.
    const none = await q.raise(v.gpg.c, { kind: 'publish_answer', board: '', text: 'A letter.', answer: 'An answer.', reference: '', argument: 'x' })
    expect(none.res.status).toBe(422)
    expect(unescape(fieldError(none.text, 'board') ?? '')).toMatch(/Give the board to publish on/)
    expect(none.text).toMatch(/<select id="board" name="board" aria-describedby="board-error" aria-invalid="true">/)
  })
})

describe('who may propose an answer', () => {
  it('a member who is not a voter (and so reads no letters) gets 403, and so does a key not on the roster; nothing is stored', async () => {
    await q.threeVoters()
    const member = await q.disposableOnRoster('member')
    const outsider = await q.heldKeyVoter(null)
    const fields = { kind: 'publish_answer', board: 'general', text: 'A letter.', answer: 'An answer.', argument: 'x' }
    const byMember = await q.raise(member.c, fields)
    expect(byMember.res.status).toBe(403)
    expect(unescape(byMember.text)).toContain('Only keys that read the cell’s letters (its voter tier and up) may propose an answer to one.')
    expect((await q.raise(outsider.c, fields)).res.status).toBe(403)
    expect(await count('question')).toBe(0)
  })
})

describe('bad input is refused with 422, the reasons beside the fields and the text kept; nothing is stored', () => {
  const good = { kind: 'publish_answer', board: 'general', text: 'A letter as published.', answer: 'The answer.', reference: '', argument: 'x' }
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ['an empty letter', { text: '  \n ' }, 'text', /Write something first/],
    ['an empty answer', { answer: '' }, 'answer', /Write something first/],
    ['an unknown board', { board: 'nowhere' }, 'board', /No board of this cell has that name/],
    ['no board', { board: '' }, 'board', /Give the board to publish on/],
    ['a malformed reference', { reference: '7KQM-2XPA-9DRT' }, 'reference', /four groups of four letters and digits/],
    ['a reference with letters no reference has', { reference: 'UUUU-2XPA-9DRT-4HWB' }, 'reference', /four groups of four letters and digits/],
    ['an oversized letter', { text: 'x'.repeat(20_000) }, 'text', /At most 19,800 characters; this has 20,000/],
    ['an oversized answer', { answer: 'y'.repeat(19_801) }, 'answer', /At most 19,800 characters/],
  ]
  for (const [what, change, field, message] of cases) {
    it(`${what} → 422, the message beside "${field}"`, async () => {
      const v = await q.threeVoters()
      const r = await q.raise(v.gpg.c, { ...good, ...change })
      expect(r.res.status, alertOf(r.text)).toBe(422)
      expect(unescape(fieldError(r.text, field) ?? '')).toMatch(message)
      expect(r.text).toContain(`aria-describedby="${field}-error"`)
      // What was typed comes back (the letter and the answer, however long).
      expect(textareaOf(r.text, 'text')).toBe({ ...good, ...change }.text)
      expect(textareaOf(r.text, 'answer')).toBe({ ...good, ...change }.answer)
      expect(await count('question')).toBe(0)
      expect(await count('thread')).toBe(0)
    })
  }

  it('several problems at once are all shown, with JavaScript on (an htmx request) as with it off', async () => {
    const v = await q.threeVoters()
    const fields = { ...good, text: '', answer: '', board: 'nowhere', reference: 'nope' }
    const jsOff: Record<string, string> = {}
    for (const headers of [jsOff, { 'HX-Request': 'true', 'HX-Boosted': 'true' }]) {
      const r = await q.raise(v.gpg.c, fields, headers)
      expect(r.res.status).toBe(422)
      expect(alertOf(unescape(r.text))).toContain('The question was not raised')
      for (const f of ['text', 'answer', 'reference']) expect(fieldError(r.text, f), f).not.toBeNull()
      expect(r.text).toContain('<form method="post" action="/c/lobby/questions">')
      expect(r.text).toContain('name="kind" value="publish_answer"')
    }
    expect(await count('question')).toBe(0)
    // The same form, filled in, is accepted: it was the input that was refused.
    await q.raised(v.gpg.c, good)
  })
})
