import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'

// Titles are how threads are told apart on a board page; names are how cells and boards are.
// Text that shows nothing, or stacks marks over the lines around it, is refused at the edge.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeAll(async () => {
  board = await makeBoard()
})
afterAll(() => board.close())

async function poster() {
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  return c
}

describe('invisible and look-alike titles', () => {
  it('a title of zero-width characters only → 422 beside the title, the text kept, nothing stored', async () => {
    const c = await poster()
    const before = await board.count('thread')
    const { res, text } = await c.post('/c/lobby/general', { title: '\u200B\u200D\uFEFF\u2060', body: 'a real body' })
    expect(res.status).toBe(422)
    expect(text).toMatch(/<p class="field-error" id="title-error">[^<]*invisible characters alone do not count/)
    expect(text).toContain('a real body')
    expect(await board.count('thread')).toBe(before)
  })

  it('a title that hides a zero-width space or a Hangul filler inside → 422, nothing stored', async () => {
    const c = await poster()
    const before = await board.count('thread')
    for (const title of ['Meeting\u200B notes', 'Meeting\u3164notes', '\u200Fadmin']) {
      const { res, text } = await c.post('/c/lobby/general', { title, body: 'body' })
      expect(res.status, JSON.stringify(title)).toBe(422)
      expect(text).toContain('Remove invisible characters')
    }
    expect(await board.count('thread')).toBe(before)
  })

  it('199 marks stacked on one letter → 422 for a title and for a reply', async () => {
    const c = await poster()
    const zalgo = `Z${'\u0301'.repeat(199)}algo`
    const t = await c.post('/c/lobby/general', { title: zalgo, body: 'body' })
    expect(t.res.status).toBe(422)
    const thread = (await c.post('/c/lobby/general', { title: 'Plain', body: 'body' })).res.headers.get('location')!
    const before = await board.count('post')
    const r = await c.post(thread, { body: zalgo })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('At most 5 accents or marks on one letter')
    expect(await board.count('post')).toBe(before)
  })

  it('a Persian title with its zero-width non-joiner, and an emoji family, are accepted as written', async () => {
    const c = await poster()
    for (const title of ['می\u200Cخواهم بدانم', 'Family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}']) {
      const { res } = await c.post('/c/lobby/general', { title, body: 'body' })
      expect(res.status).toBe(303)
      expect((await c.get(res.headers.get('location')!)).text).toContain(`<h1>${title}</h1>`)
    }
  })
})

describe('what one post may cost its readers', () => {
  it('more than 50 references in one post → 422 beside the text, kept, nothing stored; 50 are fine', async () => {
    const c = await poster()
    const thread = (await c.post('/c/lobby/general', { title: 'Refs', body: 'first' })).res.headers.get('location')!
    const before = await board.count('post')
    const r = await c.post(thread, { body: '>>1 '.repeat(4999).trim() })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('At most 50 references (&gt;&gt;N) in one post; this has 4,999.')
    expect(await board.count('post')).toBe(before)
    expect((await c.post(thread, { body: '>>1 '.repeat(50).trim() })).res.status).toBe(303)
  })

  it('a text that renders to more than 96 KiB of page (bare links, six times their text) → 422, nothing stored', async () => {
    const c = await poster()
    const before = await board.count('thread')
    const r = await c.post('/c/lobby/general', { title: 'Links', body: 'http://a.io '.repeat(1650).trim() })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('over 96 KiB')
    expect(await board.count('thread')).toBe(before)
  })

  it('look-alike titles (a variation selector, a joiner between Latin letters) and wide clusters are refused through the form', async () => {
    const c = await poster()
    for (const title of ['ad\uFE0Fmin', 'ad\u200Dmin', `x${'\u200D\u{1F600}'.repeat(80)}`]) {
      expect((await c.post('/c/lobby/general', { title, body: 'body' })).res.status, JSON.stringify(title.slice(0, 5))).toBe(422)
    }
  })
})
