import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { questionsOf } from '../support/questions.ts'

// Issue 14: a question's page, its counts and its refusals in the reader's language. The counts
// are plurals ("1 voter", "3 voters"; Arabic has six forms), never "1 voters".

let board: Awaited<ReturnType<typeof makeBoard>>
let q: ReturnType<typeof questionsOf>
beforeEach(async () => {
  board = await makeBoard()
  q = questionsOf(board)
})
afterEach(() => board.close())

const text = (page: string) => unescape(page).replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')

describe('a question in Spanish and Arabic', () => {
  it('one voter, then three: the counts agree with their number in each language', async () => {
    const first = await q.heldKeyVoter()
    const one = await q.raised(first.c, { kind: 'amend_line', change: 'add', text: 'Be brief.', argument: 'Brevity.' })
    await q.heldKeyVoter()
    await q.heldKeyVoter()
    const three = await q.raised(first.c, { kind: 'amend_line', change: 'add', text: 'Be kind.', argument: 'Kindness.' })

    const reader = board.client()
    const page = async (lang: string, n: number) => {
      reader.cookies.set('cb_lang', lang)
      const r = await reader.get(`/c/lobby/questions/${n}`)
      expect(r.res.status).toBe(200)
      return text(r.text)
    }

    expect(await page('en', one)).toContain('1 voter; quorum 1 ballot; carried by two thirds of yes and no.')
    expect(await page('en', three)).toContain('3 voters; quorum 2 ballots;')

    const es1 = await page('es', one)
    expect(es1).toContain('Cuestión 1: Enmendar la línea')
    expect(es1).toContain('1 votante; quórum de 1 papeleta; se aprueba por dos tercios de los síes y noes.')
    expect(es1).toContain('0 de 1 papeleta emitida hasta ahora.')
    expect(es1).not.toMatch(/\bvoters?\b|ballots?\b/)
    const es3 = await page('es', three)
    expect(es3).toContain('3 votantes; quórum de 2 papeletas;')
    expect(es3).toContain('0 de 3 papeletas emitidas hasta ahora.')

    const ar1 = await page('ar', one)
    expect(ar1).toContain('تعديل الخط')
    expect(ar1).toContain('ناخب واحد؛ النصاب بطاقة اقتراع واحدة؛')
    const ar3 = await page('ar', three)
    // 3 is "few" in Arabic, 2 is "two"; the numbers are written as Arabic writes them.
    expect(ar3).toMatch(/(3|٣) ناخبين؛ النصاب بطاقتا اقتراع؛/)
    expect(ar3).not.toContain('voters')
  })

  it('a refusal and the decision log are in the reader’s language', async () => {
    const v = await q.heldKeyVoter()
    v.c.cookies.set('cb_lang', 'es')
    const r = await q.raise(v.c, { kind: 'amend_line', change: 'replace', principle: '9', text: 'x', argument: 'y' })
    expect(r.res.status).toBe(422)
    expect(unescape(r.text)).toContain('La línea de la célula no tiene principio 9.')

    v.c.cookies.set('cb_lang', 'ar')
    const log = text((await v.c.get('/c/lobby/decisions')).text)
    expect(log).toContain('القرارات')
    expect(log).toContain('خلاصات Atom')
  })
})
