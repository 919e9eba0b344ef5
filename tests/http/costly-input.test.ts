import * as openpgp from 'openpgp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { canonicalPostText } from '../../src/domain/posts.ts'
import { ballotText } from '../../src/domain/questions.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { clearsignTimes, detachedTimes, revocationTimes, rsaKeyWithExponent, withSelfSignatures } from '../support/costly.ts'
import { heldKey, logInWith, unescape } from '../support/keys.ts'

// Input that costs the server far more to check than it costs to send is refused by what it
// looks like, before any signature in it is verified (how much it costs is measured in
// bench/worst-input.ts, not here): one signature per paste, a login challenge used up before its
// signature is checked, RSA exponents of 65537 only, keys with few signatures, short pastes.
let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now()
  board = await makeBoard({}, () => now)
})
afterEach(() => board.close())

async function challengeOf(c: Client) {
  const { text } = await c.get('/identity')
  return unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(text)![1]!)
}
const alertOf = (html: string) => unescape(/role="alert">([^<]+)/.exec(html)?.[1] ?? '')
const logIn = (c: Client, publicKey: string, signed: string) => c.post('/identity/login', { via: 'gpg', public_key: publicKey, signed })

async function expectRefused(r: { res: Response; text: string }, status: number, message: string, c?: Client) {
  expect(r.res.status, alertOf(r.text)).toBe(status)
  expect(alertOf(r.text)).toContain(message)
  if (c) expect(c.cookies.has('cb_session')).toBe(false)
}

describe('logging in: refused by its shape, before any signature is checked', () => {
  it('a paste with two signatures, or 30, is refused (only one is accepted), 200 for its size; the challenge stays good', async () => {
    const key = await heldKey()
    const c = board.client()
    const challenge = await challengeOf(c)
    for (const n of [2, 30]) await expectRefused(await logIn(c, key.publicKey, await clearsignTimes(key.privateKey, challenge, n)), 422, `carries ${n} signatures; only one signature is accepted`, c)
    await expectRefused(await logIn(c, key.publicKey, await clearsignTimes(key.privateKey, challenge, 200)), 413, 'larger than 8 KiB', c)
    expect((await logIn(c, key.publicKey, await clearsignTimes(key.privateKey, challenge, 1))).res.status).toBe(303)
  })

  it('a challenge whose signature fails is used up: signed right afterwards by the right key, it is "already used"', async () => {
    const key = await heldKey()
    const other = await heldKey()
    const c = board.client()
    const challenge = await challengeOf(c)
    const wrong = await logIn(c, key.publicKey, await clearsignTimes(other.privateKey, challenge, 1))
    await expectRefused(wrong, 422, 'does not verify', c)
    // Said as to someone not logged in yet: the key is the one pasted (it said "the key you logged in with").
    expect(alertOf(wrong.text)).toContain('does not verify with the public key you pasted')
    expect(unescape(wrong.text)).toContain('<p class="field-error" id="signed-error">Sign the challenge with the key whose public key you pasted, and paste the output unchanged.</p>')
    expect(wrong.text).not.toContain('logged in with')
    await expectRefused(await logIn(c, key.publicKey, await clearsignTimes(key.privateKey, challenge, 1)), 422, 'already used', c)
  })

  it('a replayed paste is "already used" before its signature is checked, even when the signature would fail', async () => {
    const key = await heldKey()
    const c = board.client()
    const used = await clearsignTimes(key.privateKey, await challengeOf(c), 1)
    expect((await logIn(c, key.publicKey, used)).res.status).toBe(303)
    // The used challenge's text under a signature made over another challenge: it cannot verify.
    const other = await clearsignTimes(key.privateKey, await challengeOf(board.client()), 1)
    const spliced = used.slice(0, used.indexOf('-----BEGIN PGP SIGNATURE-----')) + other.slice(other.indexOf('-----BEGIN PGP SIGNATURE-----'))
    const again = board.client()
    await again.get('/identity')
    await expectRefused(await logIn(again, key.publicKey, spliced), 422, 'already used', again)
  })

  it('a pasted challenge larger than 8 KiB → 413 before it is read', async () => {
    const key = await heldKey()
    const c = board.client()
    const signed = (await clearsignTimes(key.privateKey, await challengeOf(c), 1)).replace('-----BEGIN PGP SIGNATURE-----\n', `-----BEGIN PGP SIGNATURE-----\nComment: ${'x'.repeat(9000)}\n`)
    await expectRefused(await logIn(c, key.publicKey, signed), 413, 'larger than 8 KiB', c)
  })

  it('an RSA key whose public exponent is not 65537, on the primary key or on a subkey, is refused, saying why', async () => {
    const c = board.client()
    const primary = await rsaKeyWithExponent(3000)
    const subkey = await rsaKeyWithExponent(64, 'subkey')
    now = Date.now() // making RSA keys takes seconds: their self-signatures must not be in the future
    await expectRefused(await logIn(c, primary.publicKey, await clearsignTimes(primary.privateKey, await challengeOf(c), 1)), 422, 'public exponent is not 65537', c)
    await expectRefused(await logIn(c, subkey.publicKey, await clearsignTimes(subkey.privateKey, await challengeOf(c), 1)), 422, 'public exponent is not 65537', c)
  })

  it('a key carrying more than 16 signatures is refused, saying how to export a smaller one; 16 log in', async () => {
    const key = await heldKey() // one self-signature and one subkey binding
    const c = board.client()
    const challenge = await challengeOf(c)
    const signed = await clearsignTimes(key.privateKey, challenge, 1)
    const refused = await logIn(c, await withSelfSignatures(key.publicKey, 16), signed)
    await expectRefused(refused, 422, 'The key carries 17 signatures; at most 16 are accepted', c)
    expect(unescape(refused.text)).toContain('export-minimal')
    expect((await logIn(c, await withSelfSignatures(key.publicKey, 15), signed)).res.status).toBe(303)
  })
})

describe('posts, ballots and revocations: one signature each', () => {
  const place = { site: 'cellboard.local', cell: 'lobby', board: 'general', thread: 'new' as const }

  it('a clearsigned post with two signatures, or a browser post whose signature holds two, is refused; nothing is stored', async () => {
    const key = await heldKey()
    const text = canonicalPostText({ ...place, title: 'Twice signed', body: 'Once is enough.' })
    const gpg = board.client()
    await logInWith(gpg, key, 'gpg')
    await gpg.get('/c/lobby/general')
    await expectRefused(await gpg.post('/c/lobby/general', { title: '', body: '', signed: await clearsignTimes(key.privateKey, text, 2) }), 422, 'carries 2 signatures; only one signature is accepted')
    const browser = board.client()
    await logInWith(browser, key, 'browser')
    await browser.get('/c/lobby/general')
    await expectRefused(await browser.post('/c/lobby/general', { title: 'Twice signed', body: 'Once is enough.', signature: await detachedTimes(key.privateKey, text, 2) }), 422, 'holds 2 signatures; only one signature is accepted')
    expect(await board.count('post')).toBe(0)
    // One signature each is a post: the refusals above are not refusing everything.
    expect((await gpg.post('/c/lobby/general', { title: '', body: '', signed: await clearsignTimes(key.privateKey, text, 1) })).res.status).toBe(303)
    expect((await browser.post('/c/lobby/general', { title: 'Twice signed', body: 'Once is enough.', signature: await detachedTimes(key.privateKey, text, 1) })).res.status).toBe(303)
    expect(await board.count('post')).toBe(2)
  })

  it('a pasted ballot with two signatures is refused; nothing is stored', async () => {
    const voter = await heldKey()
    for (const k of [voter, await heldKey(), await heldKey()]) await addRosterKey(board.deps, { cell: 'lobby', armoredKey: k.publicKey, tier: 'voter' })
    const c = board.client()
    await logInWith(c, voter, 'gpg')
    await c.get('/c/lobby/questions/new?kind=amend_line')
    const q = Number((await c.post('/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Sign once.', argument: 'Twice is a flood.' })).res.headers.get('location')!.split('/').pop())
    await c.get(`/c/lobby/questions/${q}`)
    const text = ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice: 'yes' })
    await expectRefused(await c.post(`/c/lobby/questions/${q}/ballot`, { signed: await clearsignTimes(voter.privateKey, text, 2) }), 422, 'carries 2 signatures; only one signature is accepted')
    expect(await board.count('ballot')).toBe(0)
    expect((await c.post(`/c/lobby/questions/${q}/ballot`, { signed: await clearsignTimes(voter.privateKey, text, 1) })).res.status).toBe(303)
    expect(await board.count('ballot')).toBe(1)
  })

  it('a revocation certificate with two signatures, or beside a key with too many signatures or a large RSA exponent, is refused; nothing is revoked', async () => {
    const key = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'k' }], format: 'armored' })
    const c = board.client()
    await c.get('/identity')
    const revoke = (publicKey: string, certificate: string) => c.post('/identity/revoke', { public_key: publicKey, certificate })
    await expectRefused(await revoke(key.publicKey, await revocationTimes(key.revocationCertificate, 2)), 422, 'holds 2 signatures; only one signature is accepted')
    await expectRefused(await revoke(await withSelfSignatures(key.publicKey, 16), key.revocationCertificate), 422, 'at most 16 are accepted')
    const rsa = await rsaKeyWithExponent(3000)
    now = Date.now()
    await expectRefused(await revoke(rsa.publicKey, rsa.revocationCertificate), 422, 'public exponent is not 65537')
    expect(await board.count('revoked_key')).toBe(0)
    expect((await revoke(key.publicKey, key.revocationCertificate)).res.status).toBe(303)
    expect(await board.count('revoked_key')).toBe(1)
  })
})
