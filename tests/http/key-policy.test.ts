import * as openpgp from 'openpgp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UNKNOWN_KEY_REVOCATIONS_PER_MINUTE } from '../../src/domain/limits.ts'
import { canonicalPostText } from '../../src/domain/posts.ts'
import { addRosterKey, createBoard } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'

// Every bad input to the key flows gets a clear message and its status, and nothing is kept:
// no session cookie is set and no key reaches the database.
let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now()
  board = await makeBoard({}, () => now)
})
afterEach(() => board.close())

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

async function newKey(opts: Partial<Parameters<typeof openpgp.generateKey>[0]> = {}) {
  return openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'k' }], format: 'armored', ...opts } as Parameters<typeof openpgp.generateKey>[0] & { format: 'armored' })
}

async function clearsign(text: string, armoredPrivate: string, date?: Date) {
  const signingKeys = await openpgp.readPrivateKey({ armoredKey: armoredPrivate })
  return openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys, date })
}

/**
 * An armored OpenPGP message of `size` zero bytes, zlib-compressed. openpgp.js streams the
 * compression, so armor() hands back an array-like stream that fills in as it completes.
 */
async function compressedBomb(size: number): Promise<string> {
  const message = (await openpgp.createMessage({ binary: new Uint8Array(size) })) as unknown as { compress(algo: number): Promise<{ armor(): unknown }> }
  const armored = (await message.compress(openpgp.enums.compression.zlib)).armor()
  if (typeof armored === 'string') return armored
  const stream = armored as string[] & Record<symbol, Promise<void>>
  await stream[Object.getOwnPropertySymbols(stream).find((s) => String(s).includes('doneWritingPromise'))!]
  return stream.join('')
}

async function challengeOf(c: Client) {
  const { text } = await c.get('/identity')
  return unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(text)![1]!)
}

async function expectRefused(c: Client, fields: Record<string, string>, status: number, message: string | RegExp) {
  const { res, text } = await c.post('/identity/login', { via: 'gpg', ...fields })
  expect(res.status).toBe(status)
  if (typeof message === 'string') expect(unescape(text)).toContain(message)
  else expect(unescape(text)).toMatch(message)
  expect(res.headers.get('set-cookie') ?? '').not.toContain('cb_session')
  expect(c.cookies.has('cb_session')).toBe(false)
}

describe('logging in with a signed challenge: bad input', () => {
  it('a good login works (the refusals below are not refusing everything)', async () => {
    const c = board.client()
    const key = await newKey()
    const { res } = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsign(await challengeOf(c), key.privateKey) })
    expect(res.status).toBe(303)
    expect(c.cookies.has('cb_session')).toBe(true)
  })

  it('empty fields → 422 with a message beside each', async () => {
    const c = board.client()
    await challengeOf(c)
    const { res, text } = await c.post('/identity/login', { public_key: '', signed: '' })
    expect(res.status).toBe(422)
    expect(text).toContain('id="public_key-error"')
    expect(text).toContain('id="signed-error"')
  })

  it('malformed armor in the key or the signed text → 422', async () => {
    const c = board.client()
    const key = await newKey()
    const signed = await clearsign(await challengeOf(c), key.privateKey)
    await expectRefused(c, { public_key: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all\n-----END PGP PUBLIC KEY BLOCK-----', signed }, 422, 'not an armored OpenPGP public key')
    await expectRefused(c, { public_key: key.publicKey, signed: 'hello, I promise it is me' }, 422, 'not a clearsigned OpenPGP message')
  })

  it('a private key pasted as the public key → 422, and it is not kept in the form', async () => {
    const c = board.client()
    const key = await newKey()
    const { res, text } = await c.post('/identity/login', { via: 'gpg', public_key: key.privateKey, signed: await clearsign(await challengeOf(c), key.privateKey) })
    expect(res.status).toBe(422)
    expect(text).toContain('That is a private key')
    // Not a line of it comes back in the page: the field is empty again.
    const secret = key.privateKey.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l))
    expect(secret.length).toBeGreaterThan(2)
    for (const line of secret) expect(text).not.toContain(line)
    expect(text).not.toContain('PRIVATE KEY BLOCK')
  })

  it('a private key pasted into a post is never published, nor sent back in the form, on any refusal', async () => {
    const key = await newKey()
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const before = await board.count('post')
    // In the body of a new thread: refused as such.
    let r = await c.post('/c/lobby/general', { title: 'Oops', body: `my key:\n${key.privateKey}` })
    expect(r.res.status).toBe(422)
    expect(unescape(r.text)).toContain('This held a private key, so it was not posted')
    expect(r.text).not.toContain('PRIVATE KEY BLOCK')
    // Beside a refusal for another reason (an empty title), it does not come back either.
    r = await c.post('/c/lobby/general', { title: '', body: key.privateKey })
    expect(r.res.status).toBe(422)
    expect(r.text).not.toContain('PRIVATE KEY BLOCK')
    const thread = (await c.post('/c/lobby/general', { title: 'Fine', body: 'fine' })).res.headers.get('location')!
    await c.get(thread)
    r = await c.post(thread, { body: key.privateKey })
    expect(r.res.status).toBe(422)
    expect(r.text).not.toContain('PRIVATE KEY BLOCK')
    expect(await board.count('post')).toBe(before + 1)
  })

  it('a private key pasted into the revocation form is not kept in the form either', async () => {
    const c = board.client()
    const key = await newKey()
    await c.get('/identity')
    const { res, text } = await c.post('/identity/revoke', { public_key: key.privateKey, certificate: key.privateKey })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(text).not.toContain('PRIVATE KEY BLOCK')
  })

  it('a challenge signed by another key → 422', async () => {
    const c = board.client()
    const mine = await newKey()
    const other = await newKey()
    await expectRefused(c, { public_key: mine.publicKey, signed: await clearsign(await challengeOf(c), other.privateKey) }, 422, 'made by another key')
  })

  it('a replayed challenge → 422 "already used"', async () => {
    const key = await newKey()
    const a = board.client()
    const signed = await clearsign(await challengeOf(a), key.privateKey)
    expect((await a.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })).res.status).toBe(303)
    const b = board.client()
    await challengeOf(b)
    const { res, text } = await b.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })
    expect(res.status).toBe(422)
    expect(text).toContain('already used')
    expect(b.cookies.has('cb_session')).toBe(false)
  })

  it('a challenge older than 10 minutes → 422 "more than 10 minutes old"', async () => {
    const c = board.client()
    const key = await newKey()
    const signed = await clearsign(await challengeOf(c), key.privateKey)
    now += 10 * 60_000 + 1000
    await expectRefused(c, { public_key: key.publicKey, signed }, 422, 'more than 10 minutes old')
  })

  it('a challenge text for another purpose or another site, or a nonce we never issued → 422', async () => {
    const c = board.client()
    const key = await newKey()
    const challenge = await challengeOf(c)
    await expectRefused(c, { public_key: key.publicKey, signed: await clearsign(challenge.replace('purpose: login', 'purpose: ballot'), key.privateKey) }, 422, 'made for another purpose')
    await expectRefused(c, { public_key: key.publicKey, signed: await clearsign(challenge.replace('site: cellboard.local', 'site: evil.example'), key.privateKey) }, 422, 'made for another site')
    await expectRefused(c, { public_key: key.publicKey, signed: await clearsign(challenge.replace(/nonce: .*/, 'nonce: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), key.privateKey) }, 422, 'not issued here')
    await expectRefused(c, { public_key: key.publicKey, signed: await clearsign(`Please log me in\n${challenge}`, key.privateKey) }, 422, 'not a cellboard challenge')
  })

  it('tampered signed text → 422, including added spaces at line ends (the signature ignores them)', async () => {
    const c = board.client()
    const key = await newKey()
    const challenge = await challengeOf(c)
    const signed = await clearsign(challenge, key.privateKey)
    // A changed line is refused for what it says, before the signature is checked (which would fail).
    await expectRefused(c, { public_key: key.publicKey, signed: signed.replace('purpose: login', 'purpose: logon') }, 422, 'made for another purpose')
    const spaced = signed.replace('purpose: login\r\n', 'purpose: login   \r\n').replace('purpose: login\n', 'purpose: login   \n')
    expect(spaced).not.toBe(signed)
    await expectRefused(c, { public_key: key.publicKey, signed: spaced }, 422, 'spaces at the ends of lines')
    // The untouched text still logs in: the nonce was not spent by the refusals.
    expect((await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })).res.status).toBe(303)
  })

  it('an expired key → 403 "expired"', async () => {
    const c = board.client()
    const key = await newKey({ keyExpirationTime: 60, date: new Date(now - 3600_000) })
    // Signed while the key was still valid: such a signature still verifies, so expiry is checked at use.
    const signed = await clearsign(await challengeOf(c), key.privateKey, new Date(now - 3590_000))
    await expectRefused(c, { public_key: key.publicKey, signed }, 403, 'That key has expired')
  })

  it('an oversized key → 413; too many user IDs or subkeys → 422; a weak algorithm → 422', async () => {
    const c = board.client()
    const challenge = await challengeOf(c)
    const big = await newKey({ userIDs: Array.from({ length: 9 }, (_, i) => ({ name: `n${i}`.padEnd(2000, 'x') })) })
    await expectRefused(c, { public_key: big.publicKey, signed: await clearsign(challenge, big.privateKey) }, 413, 'larger than 16 KiB')
    const many = await newKey({ userIDs: Array.from({ length: 11 }, (_, i) => ({ name: `n${i}` })) })
    await expectRefused(c, { public_key: many.publicKey, signed: await clearsign(challenge, many.privateKey) }, 422, 'more than 10 user IDs')
    const subkeys = await newKey({ subkeys: Array.from({ length: 11 }, () => ({})) })
    await expectRefused(c, { public_key: subkeys.publicKey, signed: await clearsign(challenge, subkeys.privateKey) }, 422, 'more than 10 subkeys')
    const p256 = await newKey({ curve: 'nistP256' })
    await expectRefused(c, { public_key: p256.publicKey, signed: await clearsign(challenge, p256.privateKey) }, 422, 'Only EdDSA/Curve25519 keys')
  })

  it('a compressed bomb pasted as key or signed text is refused fast, with bounded memory', async () => {
    const c = board.client()
    const key = await newKey()
    // 32 MiB of zeros, compressed to a few dozen KiB: it fits in one form, even percent-encoded.
    const bomb = await compressedBomb(32 * 1024 * 1024)
    expect(bomb).toMatch(/^-----BEGIN PGP MESSAGE-----/)
    expect(bomb.length).toBeGreaterThan(20 * 1024)
    expect(encodeURIComponent(bomb).length).toBeLessThan(60 * 1024)
    await challengeOf(c)
    const rss = process.memoryUsage().rss
    const started = performance.now()
    await expectRefused(c, { public_key: key.publicKey, signed: bomb }, 422, 'not a clearsigned OpenPGP message')
    // As a key it is refused by its size, before any parsing; a smaller one (8 MiB of zeros in
    // under 16 KiB) is parsed, and refused as no key at all without being inflated.
    await expectRefused(c, { public_key: bomb, signed: 'x' }, 413, 'larger than 16 KiB')
    const small = await compressedBomb(8 * 1024 * 1024)
    expect(small.length).toBeLessThan(16 * 1024)
    await expectRefused(c, { public_key: small, signed: 'x' }, 422, 'not an armored OpenPGP public key')
    expect(performance.now() - started).toBeLessThan(2000)
    expect(process.memoryUsage().rss - rss).toBeLessThan(40 * 1024 * 1024)
  })
})

describe('revocation', () => {
  it('uploading a revocation certificate ends the key’s sessions at once; it can no longer log in or post', async () => {
    const key = await newKey()
    const c = board.client()
    expect((await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsign(await challengeOf(c), key.privateKey) })).res.status).toBe(303)
    await c.get('/c/lobby/general')
    expect((await c.post('/c/lobby/general', { title: 'before', body: 'still valid' })).res.status).toBe(303)

    const other = board.client()
    await other.get('/identity')
    const { res } = await other.post('/identity/revoke', { public_key: key.publicKey, certificate: key.revocationCertificate })
    expect(res.status).toBe(303)
    expect(await board.count('revoked_key')).toBe(1)

    // The live session ended at once.
    await c.get('/c/lobby/general')
    const post = await c.post('/c/lobby/general', { title: 'after', body: 'should not appear' })
    expect(post.res.status).toBe(403)
    // And the key cannot log in again.
    const again = board.client()
    const { res: r2, text } = await again.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsign(await challengeOf(again), key.privateKey) })
    expect(r2.status).toBe(403)
    expect(unescape(text)).toMatch(/revoked/)
    // The published copy of the key now carries its revocation.
    const fpr = (await openpgp.readKey({ armoredKey: key.publicKey })).getFingerprint()
    const published = await openpgp.readKey({ armoredKey: await (await c.request(`/k/${fpr}.asc`)).text() })
    expect(await published.isRevoked()).toBe(true)
  })

  it('a key that never signed anything here: only its fingerprint is kept, not its user ID', async () => {
    const uid = `Real Name ${Math.random().toString(36).slice(2, 10)}`
    const key = await newKey({ userIDs: [{ name: uid }] })
    const fpr = (await openpgp.readKey({ armoredKey: key.publicKey })).getFingerprint()
    const c = board.client()
    await c.get('/identity')
    expect((await c.post('/identity/revoke', { public_key: key.publicKey, certificate: key.revocationCertificate })).res.status).toBe(303)
    expect(await board.column('select fingerprint from revoked_key')).toEqual([fpr])
    expect(Object.keys(await board.findPresentMarkers([fpr]))).toEqual([fpr])
    expect(await board.findMarkers([uid])).toEqual({})
    // And it is refused at login.
    const again = board.client()
    const { res } = await again.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsign(await challengeOf(again), key.privateKey) })
    expect(res.status).toBe(403)
  })

  it('revocations of keys this server has never seen are a few a minute (429 past them, nothing recorded); a key known here is revoked whenever asked', async () => {
    // The attack: keys made at home, a certificate each, posted with no identity and no cost: each
    // a revoked_key row kept for good (an outsider stored 200 in seconds, ~9 ms of the server's CPU
    // each), the disk filled by anyone. A key known here (it signed something, holds a role, or
    // has a live session) is never held back: its holder may need it revoked at once.
    const c = board.client()
    await c.get('/identity')
    const keys = await Promise.all(Array.from({ length: UNKNOWN_KEY_REVOCATIONS_PER_MINUTE + 1 }, () => newKey()))
    for (const k of keys.slice(0, -1)) expect((await c.post('/identity/revoke', { public_key: k.publicKey, certificate: k.revocationCertificate })).res.status).toBe(303)
    const last = keys.at(-1)!
    const refused = await c.post('/identity/revoke', { public_key: last.publicKey, certificate: last.revocationCertificate })
    expect(refused.res.status).toBe(429)
    expect(unescape(refused.text)).toContain('Too many keys this server has never seen were revoked')
    // The paste is kept, to send again in a minute.
    expect(unescape(refused.text)).toContain(last.revocationCertificate.trim().split('\n').at(-2)!)
    expect(await board.count('revoked_key')).toBe(UNKNOWN_KEY_REVOCATIONS_PER_MINUTE)
    // A key with a live session here (logged in, nothing signed yet) is revoked at once, and so is
    // a key on a roster.
    const held = await newKey()
    const user = board.client()
    expect((await user.post('/identity/login', { via: 'gpg', public_key: held.publicKey, signed: await clearsign(await challengeOf(user), held.privateKey) })).res.status).toBe(303)
    expect((await c.post('/identity/revoke', { public_key: held.publicKey, certificate: held.revocationCertificate })).res.status).toBe(303)
    expect((await user.get('/identity')).text).toContain('Take an identity')
    const rostered = await newKey()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: rostered.publicKey, tier: 'member' })
    expect((await c.post('/identity/revoke', { public_key: rostered.publicKey, certificate: rostered.revocationCertificate })).res.status).toBe(303)
    expect(await board.count('revoked_key')).toBe(UNKNOWN_KEY_REVOCATIONS_PER_MINUTE + 2)
  })

  it('a certificate for another key, or garbage, → 422 and nothing recorded', async () => {
    const a = await newKey()
    const b = await newKey()
    const c = board.client()
    await c.get('/identity')
    for (const certificate of [b.revocationCertificate, 'not a certificate']) {
      const { res, text } = await c.post('/identity/revoke', { public_key: a.publicKey, certificate })
      expect(res.status).toBe(422)
      expect(text).toContain('does not revoke this key')
    }
    expect(await board.count('revoked_key')).toBe(0)
  })
})

describe('a held key at every use, not only at login', () => {
  const place = { site: 'cellboard.local', cell: 'lobby', board: 'general', thread: 'new' as const }
  async function loggedIn(key: { publicKey: string; privateKey: string }, via: 'gpg' | 'browser') {
    const c = board.client()
    const { res } = await c.post('/identity/login', { via, public_key: key.publicKey, signed: await clearsign(await challengeOf(c), key.privateKey) })
    expect(res.status).toBe(303)
    await c.get('/c/lobby/general')
    return c
  }

  it('a key that expires after login signs nothing more: 403, nothing stored, and the session ends', async () => {
    const key = await newKey({ keyExpirationTime: 3600 })
    const c = await loggedIn(key, 'gpg')
    expect((await c.post('/c/lobby/general', { title: 'while valid', body: 'fine' })).res.status).toBe(303)
    const before = await board.count('post')
    now += 2 * 3600_000 // the key expired an hour ago; the session (12 h idle) has not
    const { res, text } = await c.post('/c/lobby/general', { title: 'after expiry', body: 'must not appear' })
    expect(res.status).toBe(403)
    expect(unescape(text)).toContain('Your key has expired since you logged in')
    expect(await board.count('post')).toBe(before)
    expect((await c.get('/identity')).text).not.toContain('Burn identity')
  })

  it('a key that expires after login no longer reads a members’ board, and its session ends', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
    const key = await newKey({ keyExpirationTime: 3600 })
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: 'member' })
    const c = board.client()
    const { res } = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsign(await challengeOf(c), key.privateKey) })
    expect(res.status).toBe(303)
    expect((await c.get('/c/lobby/inner')).res.status).toBe(200)
    now += 2 * 3600_000
    const after = await c.get('/c/lobby/inner')
    expect(after.res.status).toBe(403)
    expect(unescape(after.text)).toContain('Your key has expired since you logged in, so it no longer opens members’ boards')
    expect((await c.get('/identity')).text).not.toContain('Burn identity')
  })

  it('a key made on a machine whose clock runs two minutes ahead still posts after login', async () => {
    const key = await newKey()
    now -= 120_000 // the server's clock reads two minutes before the key's creation
    const c = board.client()
    const { res } = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsign(await challengeOf(c), key.privateKey) })
    expect(res.status).toBe(303)
    await c.get('/c/lobby/general')
    expect((await c.post('/c/lobby/general', { title: 'from a fast clock', body: 'still fine' })).res.status).toBe(303)
  })

  it('a post whose signature fails is refused with a clear message, and nothing is stored', async () => {
    const mine = await newKey()
    const other = await newKey()
    const browser = await loggedIn(mine, 'browser')
    const title = 'Signed in the browser'
    const body = 'The signature covers exactly this.'
    const text = canonicalPostText({ ...place, title, body })
    const detached = async (t: string, k: string) =>
      openpgp.sign({ message: await openpgp.createMessage({ text: t }), signingKeys: await openpgp.readPrivateKey({ armoredKey: k }), detached: true })
    for (const [signature, why] of [
      [await detached(text, other.privateKey), 'by another key'],
      [await detached(canonicalPostText({ ...place, title, body: `${body} Changed.` }), mine.privateKey), 'over other text'],
      ['-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all\n-----END PGP SIGNATURE-----', 'garbage'],
    ] as const) {
      const r = await browser.post('/c/lobby/general', { title, body, signature })
      expect(r.res.status, `${why}: ${/role="alert">([^<]*)/.exec(r.text)?.[1]}`).toBe(422)
      expect(unescape(r.text), why).toMatch(/signature/i)
    }
    // The good one is accepted: the refusals above are not refusing everything.
    expect((await browser.post('/c/lobby/general', { title, body, signature: await detached(text, mine.privateKey) })).res.status).toBe(303)
    expect(await board.count('post')).toBe(1)

    const gpg = await loggedIn(mine, 'gpg')
    const pasted = await clearsign(text, mine.privateKey)
    for (const [signed, why] of [
      [await clearsign(text, other.privateKey), 'by another key'],
      [pasted.replace('exactly this.', 'exactly this.   '), 'trailing spaces added'],
      [pasted.replace('exactly this.', 'exactly that.'), 'a word changed'],
    ] as const) {
      const r = await gpg.post('/c/lobby/general', { title: '', body: '', signed })
      expect(r.res.status, why).toBe(422)
    }
    expect(await board.count('post')).toBe(1)
    expect(await board.count('thread')).toBe(1)
  })
})
