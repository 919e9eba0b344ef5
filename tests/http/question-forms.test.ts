import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { showTime } from '../../src/domain/time.ts'
import { cacheKey } from '../../src/services/page-cache.ts'
import { makeBoard } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { alertOf, questionsOf } from '../support/questions.ts'

// Issue 14: the raise form reports every problem at once; a voter sees, after casting, what they
// voted, how it was signed and until when it can be replaced; the decision log says what each
// decision was about.

let board: Awaited<ReturnType<typeof makeBoard>>
let q: ReturnType<typeof questionsOf>
beforeEach(async () => {
  board = await makeBoard()
  q = questionsOf(board)
})
afterEach(() => board.close())

const fieldErrorOf = (page: string, name: string) => new RegExp(`<p class="field-error" id="${name}-error">([^<]+)`).exec(page)?.[1] ?? null
const HTMX = { 'HX-Request': 'true', 'HX-Boosted': 'true' }

describe('the raise form reports every problem at once', () => {
  it('remove_post with a missing board, a thread that is no number, a principle the line lacks and no argument → 422, all four beside their fields', async () => {
    const v = await q.threeVoters()
    for (const headers of [{}, HTMX]) {
      const r = await q.raise(v.gpg.c, { kind: 'remove_post', board: 'nowhere', thread: 'x', number: '1', principle: '9', argument: '' }, headers)
      expect(r.res.status).toBe(422)
      expect(unescape(alertOf(r.text) ?? '')).toContain('The question was not raised')
      for (const f of ['board', 'thread', 'principle', 'argument']) expect(fieldErrorOf(r.text, f), f).not.toBeNull()
      expect(fieldErrorOf(r.text, 'number')).toBeNull()
      // The input comes back to be corrected.
      expect(r.text).toContain('value="nowhere"')
    }
    expect(await board.count('question')).toBe(0)
  })

  it('amend_line replacing a principle the line lacks, with no text and no argument → principle, text and argument at once', async () => {
    const v = await q.threeVoters()
    const r = await q.raise(v.gpg.c, { kind: 'amend_line', change: 'replace', principle: '9', text: '', argument: '' })
    expect(r.res.status).toBe(422)
    for (const f of ['principle', 'text', 'argument']) expect(fieldErrorOf(r.text, f), f).not.toBeNull()
    expect(fieldErrorOf(r.text, 'change')).toBeNull()
  })

  it('admit_key with an unknown tier, no key and no argument → all three; a single problem keeps its own message', async () => {
    const v = await q.threeVoters()
    const r = await q.raise(v.gpg.c, { kind: 'admit_key', role: 'king', public_key: '', argument: '' })
    expect(r.res.status).toBe(422)
    for (const f of ['role', 'public_key', 'argument']) expect(fieldErrorOf(r.text, f), f).not.toBeNull()
    const one = await q.raise(v.gpg.c, { kind: 'amend_line', change: 'replace', principle: '9', text: 'New.', argument: 'Because.' })
    expect(one.res.status).toBe(422)
    expect(unescape(alertOf(one.text) ?? '')).toBe('The cell’s line has no principle 9.')
    expect(await board.count('question')).toBe(0)
  })

  it('a refusal that is nobody’s field (not on the roster) is told alone, whatever else is wrong', async () => {
    await q.threeVoters()
    const stranger = board.client()
    await stranger.takeIdentity()
    const r = await q.raise(stranger, { kind: 'amend_line', change: 'replace', principle: '9', text: '', argument: '' })
    expect(r.res.status).toBe(403)
    expect(await board.count('question')).toBe(0)
  })
})

describe('a voter’s own ballot, after casting', () => {
  it('the question page says what they voted, how it was signed and until when it can be replaced; never cached, never shown to others', async () => {
    const v = await q.threeVoters()
    const n = await q.raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'Be brief.', argument: 'Brevity.' })
    const path = `/c/lobby/questions/${n}`
    const [deadline] = (await board.column('select deadline from question where number = ?', n)) as string[]
    const until = showTime(new Date(deadline!).toISOString())

    // Before casting: no ballot of theirs is shown.
    expect((await v.disposable.c.get(path)).text).not.toContain('Your ballot</h2>')
    await q.voteOk(v.disposable, n, 'yes')
    const page = await v.disposable.c.get(path)
    expect(page.res.headers.get('Cache-Control')).toBe('no-store')
    const mine = /<section class="my-ballot[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? ''
    expect(mine).toContain('You voted <b>yes</b>, signed on the server by your disposable key')
    expect(mine).toContain(`<code>${v.disposable.fpr}</code>`)
    expect(mine).toContain(`by ${until} at the latest`)
    // The ballot form is still there, to replace it, with their choice chosen already; their
    // ballot is shown under the question's heading, not above it.
    expect(page.text).toContain('Review the ballot')
    expect(page.text).toContain('<input type="radio" name="choice" value="yes" checked>')
    expect(page.text).not.toMatch(/value="(no|abstain)" checked/)
    expect(page.text.indexOf('<section class="my-ballot')).toBeGreaterThan(page.text.indexOf(`<h2><a href="${path}">Question ${n}</a>`))
    expect(page.text.indexOf('<section class="my-ballot')).toBeLessThan(page.text.indexOf('<form method="post" action="' + path + '/ballot"'))

    // A GnuPG voter is told the same, for their key; a replacement shows the new choice (1 yes,
    // 1 no of 3 settles nothing under two thirds, so the question stays open).
    await q.voteOk(v.gpg, n, 'abstain')
    await q.voteOk(v.gpg, n, 'no')
    const gpgPage = (await v.gpg.c.get(path)).text
    expect(gpgPage).toContain('You voted <b>no</b>, clearsigned with your GnuPG key')
    expect(gpgPage).toContain(`<code>${v.gpg.fpr}</code>`)

    // Nobody else sees a choice: the voter who has not cast, a reader without a session.
    expect((await v.other.c.get(path)).text).not.toContain('Your ballot</h2>')
    const anonymous = board.client()
    const shared = await anonymous.get(path)
    expect(shared.text).not.toContain('Your ballot</h2>')
    expect(shared.text).not.toMatch(/You voted/)
    // And no page of this address is kept for readers without a session.
    expect(board.deps.cache.get(cacheKey.address('', path))).toBeUndefined()
    expect(await board.count('question', 'where status = ?', 'open')).toBe(1)
  })

  it('the header counts the open questions waiting for this key’s ballot: casting one takes it off, at once', async () => {
    const v = await q.threeVoters()
    const header = async (c: typeof v.gpg.c) => /class="open-questions"[^>]*>([^<]*)<\/a>/.exec((await c.get('/')).text)?.[1] ?? null
    const first = await q.raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'One.', argument: 'a' })
    await q.raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'Two.', argument: 'b' })
    expect(await header(v.disposable.c)).toBe('2 open questions')
    expect(await header(v.gpg.c)).toBe('2 open questions')
    await q.voteOk(v.disposable, first, 'yes')
    expect(await header(v.disposable.c)).toBe('1 open question')
    expect(await header(v.gpg.c)).toBe('2 open questions')
    // The list behind the link still shows both, the one voted on marked.
    const list = (await v.disposable.c.get('/questions')).text
    expect(list.match(/<li>/g)).toHaveLength(2)
    expect(list.match(/your ballot is cast/g)).toHaveLength(1)
  })
})

describe('the decision log', () => {
  it('says what each decision was about, with its kind and outcome', async () => {
    const v = await q.threeVoters()
    const n = await q.raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'Keep it short & plain.', argument: 'Brevity.' })
    await q.voteOk(v.gpg, n, 'yes')
    await q.voteOk(v.other, n, 'yes')
    const log = (await v.gpg.c.get('/c/lobby/decisions')).text
    expect(log).toContain(`Decision ${n}</a>: Amend the line — <b>adopted</b>: <span class="about">add the principle “Keep it short &amp; plain.”</span>`)
  })
})
