import { afterEach, beforeEach, describe, expect, it } from 'vitest'
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
