import { afterEach, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { COSTS_ON, paidCost, takePaidIdentity } from '../support/costs.ts'
import { clearsignWith, heldKey, logInWith, unescape } from '../support/keys.ts'

/** How many times a day a key known here logs in without the check (KEY_FREE_LOGINS_PER_DAY's default). */
const KEY_FREE_LOGINS = 5

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

describe('a key known here logs in without the check a few times, then pays as a new one', () => {
  // The attack (an outsider's review): a key pays its first login once and posts once; from then
  // on it skipped the check, so a script logged it in again and again (101 logins a second here,
  // each a session kept 12 hours) until MAX_SESSIONS was full and no one new could take an
  // identity, for free and for as long as it liked. The same key's public half, pasted with any
  // signature, also used up a login challenge at no cost each time.
  const login = async (c: Client, key: { publicKey: string; privateKey: string }, fields: Record<string, string> = {}, signed?: string) => {
    const page = await c.get('/identity')
    const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page.text)![1]!)
    return c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: signed ?? (await clearsignWith(key.privateKey, challenge)), ...fields })
  }
  /** A key known here: its first login paid, then a post. */
  const knownKey = async () => {
    const key = await heldKey()
    const c = board.client()
    expect((await login(c, key, await paidCost((await c.get('/identity')).text, '/identity/login'))).res.status).toBe(303)
    await c.get('/c/lobby/general')
    expect((await c.post('/c/lobby/general', { title: 'Known', body: 'now' })).res.status).toBe(303)
    return key
  }
  const checkAsked = (text: string) => unescape(text).includes('This form asks for a small check first, so that no one can send it by the thousand.')

  it(`logins past ${KEY_FREE_LOGINS} a day ask for the check, and then pass with it: the cap is not filled for free`, async () => {
    board = await makeBoard({ ...COSTS_ON, MAX_SESSIONS: String(KEY_FREE_LOGINS + 4) })
    const key = await heldKey()
    const first = board.client()
    // Its first login pays, then it posts: it is known here.
    const page = (await first.get('/identity')).text
    expect((await login(first, key, await paidCost(page, '/identity/login'))).res.status).toBe(303)
    await first.get('/c/lobby/general')
    expect((await first.post('/c/lobby/general', { title: 'Known', body: 'now' })).res.status).toBe(303)
    for (let i = 0; i < KEY_FREE_LOGINS; i++) expect((await login(board.client(), key)).res.status, `free login ${i + 1}`).toBe(303)
    // Past them: the check, told beside it, no session made.
    for (let i = 0; i < 5; i++) {
      const over = await login(board.client(), key)
      expect(over.res.status).toBe(422)
      expect(checkAsked(over.text)).toBe(true)
    }
    // Paid, it logs in as any key does.
    const paying = board.client()
    const form = (await paying.get('/identity')).text
    expect((await login(paying, key, await paidCost(form, '/identity/login'))).res.status).toBe(303)
    // 1 + KEY_FREE_LOGINS + 1 live of KEY_FREE_LOGINS + 4: room for someone new.
    const newcomer = board.client()
    await takePaidIdentity(newcomer)
    expect((await newcomer.get('/identity')).text).toContain('<title>Your identity · cellboard</title>')
  })

  it('logins sent together go free no more often than one after the other', async () => {
    board = await makeBoard(COSTS_ON)
    const key = await knownKey()
    // Each with its own challenge, signed, then all sent at once.
    const ready = await Promise.all(Array.from({ length: KEY_FREE_LOGINS * 2 }, async () => {
      const c = board.client()
      const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec((await c.get('/identity')).text)![1]!)
      return { c, signed: await clearsignWith(key.privateKey, challenge) }
    }))
    const sent = await Promise.all(ready.map(({ c, signed }) => c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })))
    expect(sent.map((r) => r.res.status).sort()).toEqual([...Array(KEY_FREE_LOGINS).fill(303), ...Array(KEY_FREE_LOGINS).fill(422)])
  })

  it('a published key pasted with a signature that is not its own spends none of its holder’s free logins; past 20 such failures a day, its logins ask for the check, before any challenge is used up', async () => {
    board = await makeBoard(COSTS_ON)
    const key = await knownKey()
    const other = await heldKey()
    const attacker = board.client()
    const junk = async () => {
      const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec((await attacker.get('/identity')).text)![1]!)
      const r = await login(attacker, key, {}, await clearsignWith(other.privateKey, challenge))
      return [r.res.status, checkAsked(r.text)]
    }
    for (let i = 0; i < KEY_FREE_LOGINS + 2; i++) expect(await junk(), `junk ${i + 1}`).toEqual([422, false])
    // The holder's free logins are all there still.
    for (let i = 0; i < KEY_FREE_LOGINS; i++) expect((await login(board.client(), key)).res.status, `free login ${i + 1}`).toBe(303)
    expect(checkAsked((await login(board.client(), key)).text)).toBe(true)
    // Past 20 failures, a pasted signature is not even looked at without the check.
    for (let i = KEY_FREE_LOGINS + 2; i < 20; i++) await junk()
    expect(await junk()).toEqual([422, true])
  })

})
