import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CsrfTokens } from './csrf.ts'

describe('form tokens', () => {
  const tokens = new CsrfTokens()

  it('a cookie is a random id and the server’s MAC of it; only such a cookie is read', () => {
    const cookie = tokens.newCookie()
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}$/)
    expect(tokens.newCookie()).not.toBe(cookie)
    expect(tokens.readCookie(cookie)).toBe(cookie)
    const [id, mac] = cookie.split('.') as [string, string]
    for (const bad of [undefined, '', id, `${id}.${'A'.repeat(22)}`, `${'B'.repeat(24)}.${mac}`, `${cookie}x`, new CsrfTokens().newCookie()]) expect(tokens.readCookie(bad), String(bad)).toBeNull()
  })

  it('a token is masked afresh on every call; every mask checks, for its own cookie only', () => {
    const cookie = tokens.newCookie()
    const seen = new Set(Array.from({ length: 20 }, () => tokens.tokenFor(cookie)))
    expect(seen.size).toBe(20)
    for (const t of seen) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{86}$/)
      expect(tokens.check(cookie, t)).toBe(true)
      expect(tokens.check(tokens.newCookie(), t)).toBe(false)
    }
    expect(tokens.check(null, tokens.tokenFor(cookie))).toBe(false)
    expect(tokens.check(cookie, undefined)).toBe(false)
  })

  it('refuses a changed mask, a changed token, another length, and another spelling of the same bytes', () => {
    const cookie = tokens.newCookie()
    const t = tokens.tokenFor(cookie)
    const raw = Buffer.from(t, 'base64url')
    const flip = (i: number) => {
      const b = Buffer.from(raw)
      b[i]! ^= 1
      return b.toString('base64url')
    }
    expect(tokens.check(cookie, flip(0))).toBe(false)
    expect(tokens.check(cookie, flip(63))).toBe(false)
    expect(tokens.check(cookie, t.slice(0, 85))).toBe(false)
    expect(tokens.check(cookie, `${t}A`)).toBe(false)
    // The last letter carries 2 bits decoding ignores: a spelling that decodes the same is still refused.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const i = last.indexOf(t.at(-1)!)
    const twin = `${t.slice(0, -1)}${last[i ^ 1]}`
    expect(Buffer.from(twin, 'base64url').equals(raw)).toBe(true)
    expect(tokens.check(cookie, twin)).toBe(false)
  })

  it('two instances with one secret (two nodes sharing Redis) agree; another secret does not', () => {
    const secret = randomBytes(32)
    const [a, b] = [new CsrfTokens(secret), new CsrfTokens(secret)]
    const cookie = a.newCookie()
    expect(b.readCookie(cookie)).toBe(cookie)
    expect(b.check(cookie, a.tokenFor(cookie))).toBe(true)
    expect(new CsrfTokens().readCookie(cookie)).toBeNull()
  })
})
