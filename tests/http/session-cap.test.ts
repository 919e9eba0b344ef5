import { afterEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { heldKey, logInWith, unescape } from '../support/keys.ts'

// New identities cost memory (about 4 KB of keys each, kept 12 hours idle): a flood of them
// exhausted memory within hours. At MAX_SESSIONS the board refuses new ones and never pushes out
// a live one, so a flood cannot end the sessions of people already holding identities.
let board: Awaited<ReturnType<typeof makeBoard>>
afterEach(() => board.close())

describe('the cap on live sessions', () => {
  it('past MAX_SESSIONS a new identity → 503 saying so, no session made; those already taken still post', async () => {
    board = await makeBoard({ MAX_SESSIONS: '3' })
    const holders = []
    for (let i = 0; i < 3; i++) {
      const c = board.client()
      await c.takeIdentity()
      holders.push(c)
    }
    const late = board.client()
    await late.get('/identity')
    const r = await late.post('/identity/disposable', {})
    expect(r.res.status).toBe(503)
    expect(unescape(r.text)).toContain('This board holds as many identities as it can right now, so no new one can be taken. Identities already taken go on working.')
    // The page is titled as its heading says: one to take.
    expect((await late.get('/identity')).text).toContain('<title>Take an identity · cellboard</title>')
    expect((await holders[0]!.get('/identity')).text).toContain('<title>Your identity · cellboard</title>')
    for (const [i, c] of holders.entries()) {
      await c.get('/c/lobby/general')
      expect((await c.post('/c/lobby/general', { title: `Still here ${i}`, body: 'yes' })).res.status).toBe(303)
    }
  })

  it('a burned identity makes room again', async () => {
    board = await makeBoard({ MAX_SESSIONS: '1' })
    const first = board.client()
    await first.takeIdentity()
    await first.post('/identity/burn', {})
    const second = board.client()
    await second.get('/identity')
    expect((await second.post('/identity/disposable', {})).res.status).toBe(303)
  })

  it('a flood that fills the cap does not lock out the cell: a key on a roster still logs in with its own key, past the cap; any other new session is refused', async () => {
    // The attack: a script pays the JS-off question (a regex's work) for identity after identity
    // until MAX_SESSIONS live; then every new session was refused for as long as they stayed,
    // the cell's own voters' logins with their GnuPG keys among them, so none could vote (or
    // raise the question that answers the flood) for as long as the script kept it up.
    board = await makeBoard({ MAX_SESSIONS: '2' })
    const voterKey = await heldKey()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: voterKey.publicKey, tier: 'voter' })
    for (let i = 0; i < 2; i++) await board.client().takeIdentity()
    const stranger = board.client()
    await stranger.get('/identity')
    expect((await stranger.post('/identity/disposable', {})).res.status).toBe(503)
    await expect(logInWith(board.client(), await heldKey())).rejects.toThrow(/login failed: 503/)
    // The voter gets in, and can act as one.
    const voter = board.client()
    await logInWith(voter, voterKey)
    expect((await voter.get('/identity')).text).toContain(voterKey.fingerprint)
    await voter.get('/c/lobby/general')
    expect((await voter.post('/c/lobby/general', { title: 'During the flood', body: 'still here' })).res.status).toBe(303)
    // Its room is its own: the cap still refuses everyone else.
    expect((await stranger.post('/identity/disposable', {})).res.status).toBe(503)
    // And one session at most: logging in again (another device, or an infiltrator on the roster
    // looping) ends the one before, so past the cap a roster holds no more room than its keys.
    const again = board.client()
    await logInWith(again, voterKey, 'browser') // as the page with JavaScript on sends it
    expect((await again.get('/identity')).text).toContain(voterKey.fingerprint)
    expect((await voter.get('/identity')).text).toContain('Take an identity')
  })
})
