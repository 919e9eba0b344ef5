import * as openpgp from 'openpgp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { canonicalPostText } from '../../src/domain/posts.ts'
import { ballotText } from '../../src/domain/questions.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { clearsignTimes, copies, detachedTimes } from '../support/costly.ts'
import { heldKey, logInWith, unescape } from '../support/keys.ts'

// A signature made on a computer whose clock runs a little fast is dated in the future. Keys get
// five minutes of skew (src/pgp.ts allowingSkew); so do the signatures on challenges, posts,
// ballots and revocations. More than five minutes ahead is refused, saying so.
let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now()
  board = await makeBoard({}, () => now)
})
afterEach(() => board.close())

const minutes = (n: number) => new Date(now + n * 60_000)
const alertOf = (html: string) => unescape(/role="alert">([^<]+)/.exec(html)?.[1] ?? '')
async function challengeOf(c: Client) {
  const { text } = await c.get('/identity')
  return unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(text)![1]!)
}
const expectTaken = (r: { res: Response; text: string }) => expect(r.res.status, alertOf(r.text)).toBe(303)
function expectAhead(r: { res: Response; text: string }) {
  expect(r.res.status, alertOf(r.text)).toBe(422)
  expect(alertOf(r.text)).toMatch(/^The signature is dated .* UTC, [56] min \d+ s ahead of this server’s clock; up to 5 min 0 s are allowed for/)
}

describe('signatures from a clock that runs fast', () => {
  it('a login challenge signed one minute ahead logs in; six minutes ahead is refused', async () => {
    const key = await heldKey()
    const c = board.client()
    expectTaken(await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsignTimes(key.privateKey, await challengeOf(c), 1, minutes(1)) }))
    const late = board.client()
    expectAhead(await late.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsignTimes(key.privateKey, await challengeOf(late), 1, minutes(6)) }))
    expect(late.cookies.has('cb_session')).toBe(false)
  })

  it('a post signed one minute ahead (pasted, or by a browser key) is published; six minutes ahead is refused', async () => {
    const key = await heldKey()
    const place = { site: 'cellboard.local', cell: 'lobby', board: 'general', thread: 'new' as const }
    const gpg = board.client()
    await logInWith(gpg, key, 'gpg')
    await gpg.get('/c/lobby/general')
    const pasted = canonicalPostText({ ...place, title: 'From a fast clock', body: 'Pasted.' })
    expectTaken(await gpg.post('/c/lobby/general', { title: '', body: '', signed: await clearsignTimes(key.privateKey, pasted, 1, minutes(1)) }))
    const browser = board.client()
    await logInWith(browser, key, 'browser')
    await browser.get('/c/lobby/general')
    const signedHere = canonicalPostText({ ...place, title: 'From a fast clock', body: 'Signed in the browser.' })
    expectTaken(await browser.post('/c/lobby/general', { title: 'From a fast clock', body: 'Signed in the browser.', signature: await detachedTimes(key.privateKey, signedHere, 1, minutes(1)) }))
    expect(await board.count('post')).toBe(2)

    expectAhead(await gpg.post('/c/lobby/general', { title: '', body: '', signed: await clearsignTimes(key.privateKey, pasted, 1, minutes(6)) }))
    expectAhead(await browser.post('/c/lobby/general', { title: 'From a fast clock', body: 'Signed in the browser.', signature: await detachedTimes(key.privateKey, signedHere, 1, minutes(6)) }))
    expect(await board.count('post')).toBe(2)
  })

  it('a ballot signed one minute ahead is cast; six minutes ahead is refused', async () => {
    const voter = await heldKey()
    for (const k of [voter, await heldKey(), await heldKey()]) await addRosterKey(board.deps, { cell: 'lobby', armoredKey: k.publicKey, tier: 'voter' })
    const c = board.client()
    await logInWith(c, voter, 'gpg')
    await c.get('/c/lobby/questions/new?kind=amend_line')
    const q = Number((await c.post('/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Clocks drift.', argument: 'They do.' })).res.headers.get('location')!.split('/').pop())
    await c.get(`/c/lobby/questions/${q}`)
    const ballot = (choice: 'yes' | 'no') => ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice })
    expectTaken(await c.post(`/c/lobby/questions/${q}/ballot`, { signed: await clearsignTimes(voter.privateKey, ballot('yes'), 1, minutes(1)) }))
    expectAhead(await c.post(`/c/lobby/questions/${q}/ballot`, { signed: await clearsignTimes(voter.privateKey, ballot('no'), 1, minutes(6)) }))
    expect(await board.column('select choice from ballot')).toEqual(['yes'])
  })

  it('a revocation certificate made one minute ahead revokes; six minutes ahead is refused', async () => {
    const certificateAt = async (key: openpgp.PrivateKey, at: Date) => {
      const revoked = (await openpgp.revokeKey({ key, date: at, format: 'object' })).publicKey
      return openpgp.armor(openpgp.enums.armor.publicKey, copies(revoked.revocationSignatures[0]!, 1).write())
    }
    const [a, b] = await Promise.all([0, 1].map(() => openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'k' }], format: 'object' })))
    const c = board.client()
    await c.get('/identity')
    expectTaken(await c.post('/identity/revoke', { public_key: a!.publicKey.armor(), certificate: await certificateAt(a!.privateKey, minutes(1)) }))
    expectAhead(await c.post('/identity/revoke', { public_key: b!.publicKey.armor(), certificate: await certificateAt(b!.privateKey, minutes(6)) }))
    expect(await board.column('select fingerprint from revoked_key')).toEqual([a!.publicKey.getFingerprint()])
  })
})
