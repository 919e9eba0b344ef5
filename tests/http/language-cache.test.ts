import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBoard, createCell } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'

// Pages kept whole for readers without a session are kept by address and by the language their
// reader picked. A cookie written oddly (quoted, %-escaped, twice) must not let one reader decide
// the language every other reader of the address gets (an attacker's poisoned cache), nor give a
// reader who picked a language someone else's.
let board: Awaited<ReturnType<typeof makeBoard>>
const langOf = async (cookie?: string) => {
  const res = await board.app.request('/c/celula/general', { headers: cookie ? { cookie } : {} })
  expect(res.status).toBe(200)
  return /<html lang="([a-z]+)"/.exec(await res.text())?.[1]
}

beforeAll(async () => {
  board = await makeBoard()
  await createCell(board.deps, { slug: 'celula', name: 'Célula', principles: [], lang: 'es' })
  await createBoard(board.deps, { cell: 'celula', slug: 'general', name: 'General', description: '', retentionDays: null })
})
afterAll(() => board.close())

describe('the whole-page cache and the language cookie', () => {
  for (const odd of ['cb_lang="ar"', 'cb_lang=%61r', 'cb_lang=a%72', 'cb_lang=ar ; x=1', 'cb_lang=; cb_lang=ar', 'cb_lang=ar; cb_lang=en']) {
    it(`a reader sending ${odd} changes nothing for the others`, async () => {
      board.deps.cache.clear()
      await langOf(odd)
      expect(await langOf()).toBe('es')
      expect(await langOf('cb_lang=ar')).toBe('ar')
      expect(await langOf('cb_lang=en')).toBe('en')
      // And the other way round: the pages the others got first are not what the odd one is given as theirs.
      await langOf(odd)
      expect(await langOf()).toBe('es')
    })
  }
  it('plain choices are each kept apart', async () => {
    board.deps.cache.clear()
    expect([await langOf(), await langOf('cb_lang=ar'), await langOf('x=1; cb_lang=en'), await langOf()]).toEqual(['es', 'ar', 'en', 'es'])
  })
})

describe('the language choice and identities', () => {
  it('the first identity keeps the reader’s language; a new one in its place, or an ended session, drops it', async () => {
    const c = board.client()
    c.cookies.set('cb_lang', 'ar')
    await c.takeIdentity()
    expect(c.cookies.get('cb_lang')).toBe('ar')
    await c.takeIdentity()
    expect(c.cookies.has('cb_lang')).toBe(false)

    const d = board.client()
    await d.takeIdentity()
    d.cookies.set('cb_lang', 'ar')
    d.cookies.set('cb_session', 'gone-session-id')
    await d.get('/c/celula/general')
    expect(d.cookies.has('cb_session')).toBe(false)
    expect(d.cookies.has('cb_lang')).toBe(false)
  })
})

