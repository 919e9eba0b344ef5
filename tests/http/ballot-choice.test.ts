import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ballotText } from '../../src/domain/questions.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'
import { clearsignWith, heldKey, logInWith, unescape } from '../support/keys.ts'
import { alertOf, questionsOf } from '../support/questions.ts'

// A signed ballot and a ticked choice that say different things: the server went by the signed
// text, silently. In the browser with a browser key, a send lost on the way (a dropped Tor
// circuit) left the ballot signed for the first choice in the form's closed paste box; the voter
// then ticked another and sent again, and the first choice was counted (a new user's walkthrough:
// "yes" published, the question adopted, the post removed). Now such a ballot is refused, saying
// why, and nothing is counted.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => (board = await makeBoard()))
afterEach(() => board.close())

const fieldError = (text: string, name: string) => new RegExp(`<p class="field-error" id="${name}-error">([^<]*)</p>`).exec(unescape(text))?.[1] ?? null

describe('a signed ballot and the choice ticked beside it', () => {
  it('differ: 422 saying both, beside the choice, the signed text kept, nothing counted; agree, or none ticked: counted', async () => {
    const q = questionsOf(board)
    const v = await q.threeVoters()
    await v.gpg.c.get('/c/lobby/general')
    await v.gpg.c.post('/c/lobby/general', { title: 'Here', body: 'words' })
    // A voter whose key is a browser key: its ballot form has the choices, and the paste box folded away.
    const key = await heldKey()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: 'voter' })
    const voter = board.client()
    await logInWith(voter, key, 'browser')
    const n = await q.raised(v.gpg.c, { kind: 'remove_post', board: 'general', thread: '1', number: '1', principle: '1', argument: 'why' })
    const signedYes = await clearsignWith(key.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: n, line: 1, choice: 'yes' }))
    await voter.get(`/c/lobby/questions/${n}`)
    const r = await voter.post(`/c/lobby/questions/${n}/ballot`, { choice: 'no', signed: signedYes })
    expect(r.res.status, alertOf(r.text)).toBe(422)
    expect(unescape(alertOf(r.text) ?? '')).toContain('The signed ballot says “yes”, but “no” is ticked, so nothing was counted.')
    expect(fieldError(r.text, 'choice')).toBe('The signed ballot below says “yes”.')
    expect(r.text).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    expect(await board.count('ballot')).toBe(0)
    // The same ballot with its own choice ticked, and with none ticked (as a paste with JavaScript off may be sent).
    expect((await voter.post(`/c/lobby/questions/${n}/ballot`, { choice: 'yes', signed: signedYes })).res.status).toBe(303)
    const signedNo = await clearsignWith(v.other.key!.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: n, line: 1, choice: 'no' }))
    await v.other.c.get(`/c/lobby/questions/${n}`)
    expect((await v.other.c.post(`/c/lobby/questions/${n}/ballot`, { signed: signedNo })).res.status).toBe(303)
    expect(await board.column('select choice from ballot order by id')).toEqual(['yes', 'no'])
  })

  it('an empty ballot from a GnuPG voter (whose form has no choices) is told to paste the signed ballot, beside the box, which is marked', async () => {
    const q = questionsOf(board)
    const v = await q.threeVoters()
    await v.gpg.c.get('/c/lobby/general')
    await v.gpg.c.post('/c/lobby/general', { title: 'Here', body: 'words' })
    const n = await q.raised(v.gpg.c, { kind: 'remove_post', board: 'general', thread: '1', number: '1', principle: '1', argument: 'why' })
    const page = (await v.gpg.c.get(`/c/lobby/questions/${n}`)).text
    expect(page).not.toContain('name="choice"')
    const r = await v.gpg.c.post(`/c/lobby/questions/${n}/ballot`, { signed: '  ' })
    expect(r.res.status, alertOf(r.text)).toBe(422)
    expect(unescape(alertOf(r.text) ?? '')).not.toContain('Choose yes, no or abstain')
    expect(fieldError(r.text, 'signed')).toBe('Paste the ballot, clearsigned.')
    expect(r.text).toMatch(/<textarea id="ballot-signed-\d+" name="signed" rows="8" aria-describedby="signed-error" aria-invalid="true">/)
    expect(await board.count('ballot')).toBe(0)
    // A voter with choices who ticked none: told so beside them, and the choices are marked.
    const none = await v.disposable.c.post(`/c/lobby/questions/${n}/ballot`, {})
    expect(none.res.status).toBe(422)
    expect(fieldError(none.text, 'choice')).toBe('Choose yes, no or abstain.')
    expect(none.text).toMatch(/<input type="radio" name="choice" value="yes" aria-describedby="choice-error" aria-invalid="true">/)
  })
})
