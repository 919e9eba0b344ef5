import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard, setBoardAccess, setCellTiers } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'

// /k/FINGERPRINT.asc serves a key so that anyone may verify what it signed. It served every key the
// board held, so someone who knows a person's GnuPG fingerprint could ask whether that key had posted
// here after everything it signed had become readable only inside a tier (an outsider's test): the
// archive publishes no such key, and the live board now says no more than the archive. A key is served
// to a viewer when it signed a post the viewer may read, or holds a role the cell publishes (its
// roster, a question's voters and ballots).

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
  await setCellTiers(board.deps, { cell: 'lobby', tiers: 'supporter,member', vote: 'member', inbox: 'member' })
  await createBoard(board.deps, { cell: 'lobby', slug: 'flip', name: 'flip', description: '', read: null, post: null, retentionDays: null })
})
afterEach(() => board.close())

const status = async (c: ReturnType<typeof board.client>, fpr: string) => (await c.get(`/k/${fpr}.asc`)).res.status

describe('a key is served to those who may read what it signed', () => {
  it('a key whose only posts are on a board made members-only: 404 to anyone outside the tier, the key to a reader of the board', async () => {
    const poster = board.client()
    const fpr = await poster.takeIdentity() // off the roster
    await poster.get('/c/lobby/flip')
    expect((await poster.post('/c/lobby/flip', { title: 'Said in public', body: 'while it was open' })).res.status).toBe(303)
    const anyone = board.client()
    // Published: served, with the key's armour.
    const before = await anyone.get(`/k/${fpr}.asc`)
    expect(before.res.status).toBe(200)
    expect(before.text).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')

    await setBoardAccess(board.deps, { cell: 'lobby', board: 'flip', read: 'supporter' })
    const outsider = board.client()
    await outsider.takeIdentity()
    const supporter = board.client()
    await supporter.takeIdentity()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await supporter.request('/identity/public-key.asc')).text(), tier: 'supporter' })

    const unknown = 'ab'.repeat(20)
    const refused = await anyone.get(`/k/${fpr}.asc`)
    expect(refused.res.status).toBe(404)
    // The same answer as for a key the board never held (but the address the language switch returns to).
    const page = (text: string) => text.replace(/([?&;]next=)[^"&]*/g, '$1')
    expect(page(refused.text)).toBe(page((await anyone.get(`/k/${unknown}.asc`)).text))
    expect(await status(outsider, fpr)).toBe(404)
    expect(await status(supporter, fpr)).toBe(200)
    // The poster may fetch its own key.
    expect(await status(poster, fpr)).toBe(200)
  })

  it('a key with one post on a public board is served to anyone; a key on the roster is served to anyone', async () => {
    const poster = board.client()
    const fpr = await poster.takeIdentity()
    await poster.get('/c/lobby/flip')
    expect((await poster.post('/c/lobby/flip', { title: 'Soon closed', body: 'one' })).res.status).toBe(303)
    await poster.get('/c/lobby/general')
    expect((await poster.post('/c/lobby/general', { title: 'Open', body: 'two' })).res.status).toBe(303)
    await setBoardAccess(board.deps, { cell: 'lobby', board: 'flip', read: 'member' })
    expect(await status(board.client(), fpr)).toBe(200)

    const member = board.client()
    const memberFpr = await member.takeIdentity()
    expect(await status(board.client(), memberFpr)).toBe(404) // nothing signed, no role: never published
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await member.request('/identity/public-key.asc')).text(), tier: 'member' })
    expect(await status(board.client(), memberFpr)).toBe(200)
  })
})
