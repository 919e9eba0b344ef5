import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { MemoryChallengeStore } from '../../src/ephemeral/challenges.ts'
import { issueLoginChallenge } from '../../src/services/identities.ts'
import { Client, makeBoard } from '../support/app.ts'
import { clearsignWith, heldKey, unescape } from '../support/keys.ts'

// Login challenges: whatever anyone else does, a challenge this server issued logs in once, until
// it is ten minutes old.
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

describe('login challenges cannot be flushed', () => {
  it('an honest login still works after 100,000 more challenges were issued after its own', async () => {
    const key = await heldKey()
    const c = board.client()
    const signed = await clearsignWith(key.privateKey, await challengeOf(c))
    // What 100,000 GETs of /identity/challenge do, without the HTTP.
    for (let i = 0; i < 100_000; i++) await issueLoginChallenge(board.deps)
    const { res, text } = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })
    expect(res.status, alertOf(text)).toBe(303)
    expect(c.cookies.has('cb_session')).toBe(true)
  })
})

describe('used and forged challenges', () => {
  it('a nonce with its time moved, or made up, was "not issued here"; a used one stays used until it expires', async () => {
    const key = await heldKey()
    const c = board.client()
    const challenge = await challengeOf(c)
    const nonce = /nonce: (\S+)$/.exec(challenge)![1]!
    const raw = Buffer.from(nonce, 'base64url')
    raw.writeUInt32BE(raw.readUInt32BE(8) + 3600, 8) // an hour later: it would last longer
    for (const forged of [raw.toString('base64url'), 'A'.repeat(32), `${nonce}A`]) {
      const { res, text } = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: await clearsignWith(key.privateKey, challenge.replace(nonce, forged)) })
      expect(res.status).toBe(422)
      expect(alertOf(text)).toContain('not issued here')
    }
    const signed = await clearsignWith(key.privateKey, challenge)
    expect((await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })).res.status).toBe(303)
    const again = board.client()
    await again.get('/identity')
    now += 9 * 60_000
    expect(alertOf((await again.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })).text)).toContain('already used')
    now += 60_000 + 1000
    expect(alertOf((await again.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })).text)).toContain('more than 10 minutes old')
    expect(again.cookies.has('cb_session')).toBe(false)
  })
})

describe('the memory store’s cap on used codes', () => {
  it('when it is full, logins wait (429, the signed text kept); a waiting challenge logs in once older codes expire; used codes are never forgotten early', async () => {
    const store = new MemoryChallengeStore(() => now, 3)
    const app = createApp({ ...board.deps, challenges: store })
    const key = await heldKey()
    const logIn = async (c: Client, signed: string) => c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })
    // Three challenges shown now, signed and used five minutes later: the store is full.
    const fillers = await Promise.all([0, 1, 2].map(async () => {
      const c = new Client(app)
      return { c, signed: await clearsignWith(key.privateKey, await challengeOf(c)) }
    }))
    now += 5 * 60_000
    const honest = new Client(app)
    const signed = await clearsignWith(key.privateKey, await challengeOf(honest))
    for (const f of fillers) expect((await logIn(f.c, f.signed)).res.status).toBe(303)

    const waiting = await logIn(honest, signed)
    expect(waiting.res.status).toBe(429)
    expect(alertOf(waiting.text)).toContain('Too many logins')
    expect(unescape(waiting.text)).toContain(signed.split('\n').find((l) => l.startsWith('nonce: '))!)
    expect(honest.cookies.has('cb_session')).toBe(false)
    // Full or not, a used code is still used.
    const replay = new Client(app)
    await replay.get('/identity')
    expect(alertOf((await logIn(replay, fillers[0]!.signed)).text)).toContain('already used')

    // The fillers' challenges expire; the honest one (shown five minutes later) has not.
    now += 5 * 60_000 + 2000
    expect((await logIn(honest, signed)).res.status).toBe(303)
    expect(honest.cookies.has('cb_session')).toBe(true)
  })
})
