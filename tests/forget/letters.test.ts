import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { makeRole, referenceOn, withCellKey } from '../support/letters.ts'

// Against someone who later gets a copy of the data folder (SQLite's files and WAL, or the whole
// PostgreSQL data directory): a letter sent with JavaScript off is never there as plaintext, and a
// handled letter's ciphertext is gone once the purge returns.
let board: Awaited<ReturnType<typeof makeBoard>>
afterEach(() => board?.close())

const marker = (kind: string) => `${kind}${randomBytes(9).toString('hex')}`

/** Lines of an armored message that are base64 through and through: each is found only if the ciphertext is there. */
const armorLines = (armored: string) => armored.split('\n').filter((l) => /^[A-Za-z0-9+/]{60,}$/.test(l))

describe('letters leave no plaintext, and a handled letter leaves nothing', () => {
  it('the plaintext of a letter sent with JavaScript off is never in the files, before or after it is handled; its ciphertext was there, and is gone after the purge', async () => {
    board = await makeBoard()
    await withCellKey(board)
    const secret = marker('LETTERPLAIN')
    const writer = board.client()
    await writer.get('/c/lobby/letters/new')
    const sent = await writer.post('/c/lobby/letters', { text: `Dear cell, ${secret}, from a reader.` })
    expect(sent.res.status).toBe(200)
    const reference = referenceOn(sent.text)!
    const [ciphertext] = (await board.column('select ciphertext from letter where reference = ?', reference)) as string[]
    const lines = armorLines(ciphertext!)
    expect(lines.length).toBeGreaterThan(10)
    const cipherMarkers = [lines[3]!, lines[10]!, reference]

    // Never the plaintext: first as the files stand (the WAL included, no checkpoint to hide it),
    // then once every page is written to the data files.
    expect(await board.findMarkers([secret])).toEqual({})
    expect(await board.findPresentMarkers([secret])).toEqual({})
    // The scan can see: the ciphertext and the reference are there.
    expect(Object.keys(await board.findPresentMarkers(cipherMarkers)).sort()).toEqual([...cipherMarkers].sort())

    const voter = board.client()
    await makeRole(board, voter, 'voter')
    await voter.get('/c/lobby/letters')
    const handled = await voter.post('/c/lobby/letters/handled', { references: reference })
    expect(handled.res.status).toBe(303)
    // The purge has returned: no checkpoint before this scan (one could hide a purge that failed).
    const left = await board.findMarkers([...cipherMarkers, secret])
    expect(left, JSON.stringify(left)).toEqual({})
    expect(await board.count('letter')).toBe(0)
  })
})
