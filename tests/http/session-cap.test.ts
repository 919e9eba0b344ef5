import { afterEach, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { unescape } from '../support/keys.ts'

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
    expect((await late.get('/identity')).text).toContain('Take an identity')
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
})
