import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CHALLENGE_TTL_MS, ChallengeNonces, MemoryChallengeStore } from '../../src/ephemeral/challenges.ts'

// Stateless nonces: a random code, the second it was issued and an HMAC under a server secret.
describe('challenge nonces', () => {
  const t0 = Date.UTC(2026, 11, 2, 10, 0, 0)
  const nonces = new ChallengeNonces(randomBytes(32))

  it('are 32 characters of base64url, different every time, and read back until they are 10 minutes old', () => {
    const a = nonces.mint('login', t0)
    const b = nonces.mint('login', t0)
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(a).not.toBe(b)
    expect(nonces.read(a, 'login', t0 + CHALLENGE_TTL_MS)).toEqual({ code: expect.any(String), expiresAt: t0 + CHALLENGE_TTL_MS })
    expect(nonces.read(a, 'login', t0 + CHALLENGE_TTL_MS + 1)).toBe('expired')
  })

  it('made under another secret, or changed in any byte, they are unknown', () => {
    const a = nonces.mint('login', t0)
    expect(new ChallengeNonces(randomBytes(32)).read(a, 'login', t0)).toBe('unknown')
    const raw = Buffer.from(a, 'base64url')
    for (let i = 0; i < raw.length; i++) {
      const changed = Buffer.from(raw)
      changed[i]! ^= 1
      expect(nonces.read(changed.toString('base64url'), 'login', t0), `byte ${i}`).toBe('unknown')
    }
    expect(nonces.read(a.slice(1), 'login', t0)).toBe('unknown')
    expect(nonces.read(`${a}AAAA`, 'login', t0)).toBe('unknown')
  })
})

describe('the memory store of used codes', () => {
  it('a code is used once; it is kept until its challenge expires and sweeping never drops it earlier', async () => {
    let now = Date.UTC(2026, 11, 2, 10, 0, 0)
    const store = new MemoryChallengeStore(() => now)
    const nonce = await store.issue('login')
    expect(await store.consume(nonce, 'login')).toBe('ok')
    now += CHALLENGE_TTL_MS - 1000
    store.sweep()
    expect(await store.consume(nonce, 'login')).toBe('used')
    now += 2000
    store.sweep()
    expect(await store.consume(nonce, 'login')).toBe('expired')
    store.close()
  })

  it('at its cap it refuses new codes without using them up, and a used code is still used', async () => {
    let now = Date.UTC(2026, 11, 2, 10, 0, 0)
    const store = new MemoryChallengeStore(() => now, 2)
    const [a, b] = [await store.issue('login'), await store.issue('login')]
    now += 60_000
    const waiting = await store.issue('login')
    expect(await store.consume(a, 'login')).toBe('ok')
    expect(await store.consume(b, 'login')).toBe('ok')
    expect(await store.consume(waiting, 'login')).toBe('busy')
    expect(await store.consume(waiting, 'login')).toBe('busy')
    expect(await store.consume(a, 'login')).toBe('used')
    now += CHALLENGE_TTL_MS - 60_000 + 1000 // a and b have expired, waiting has not
    expect(await store.consume(waiting, 'login')).toBe('ok')
    expect(await store.consume(waiting, 'login')).toBe('used')
    store.close()
  })
})
