import { describe, expect, it } from 'vitest'
import { type CacheKey, PageCache } from '../../src/services/page-cache.ts'

// The page cache's bounds (services/page-cache.ts): entries, and bytes counted once per part.
const k = (s: string) => s as CacheKey
const part = (n: number, tags = ['t']) => ({ meta: null, bytes: new Uint8Array(n), tags })

describe('PageCache, bounded in bytes', () => {
  it('keeps the newest parts within its bytes and lets the oldest go first', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    for (let i = 0; i < 10; i++) cache.set(k(`p${i}`), part(200))
    expect(cache.bytes).toBe(1000)
    for (let i = 0; i < 5; i++) expect(cache.get(k(`p${i}`))).toBeUndefined()
    for (let i = 5; i < 10; i++) expect(cache.get(k(`p${i}`))).toBeDefined()
  })

  it('counts a part kept again under its key once, and one kept under two keys once until both are gone', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    cache.set(k('a'), part(100, ['a']))
    cache.set(k('a'), part(150, ['a']))
    expect(cache.bytes).toBe(150)
    cache.drop(['a'])
    expect(cache.bytes).toBe(0)
    // A whole page kept under its shared key, and later under its address.
    const whole = part(300, ['whole'])
    cache.set(k('shared'), whole)
    cache.set(k('b'), part(200))
    cache.set(k('address'), whole)
    expect(cache.bytes).toBe(500)
    cache.set(k('c'), part(400))
    // Over 1,000: the oldest key goes first, but the page stays counted while its address holds it.
    cache.set(k('d'), part(200))
    expect(cache.get(k('shared'))).toBeUndefined()
    expect(cache.get(k('b'))).toBeUndefined()
    expect(cache.get(k('address'))).toBe(whole)
    expect(cache.bytes).toBe(300 + 400 + 200)
    cache.drop(['whole'])
    expect(cache.bytes).toBe(600)
  })

  it('drops by tag and everything, counting down to 0', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    cache.set(k('x'), part(100, ['thread:1']))
    cache.set(k('y'), part(200, ['thread:2']))
    cache.drop(['thread:1'])
    expect(cache.bytes).toBe(200)
    expect(cache.get(k('y'))).toBeDefined()
    cache.drop(null)
    expect(cache.bytes).toBe(0)
    expect(cache.get(k('y'))).toBeUndefined()
  })

  it('keeps no part over half its bytes, and a key kept again with one lets the old part go', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    cache.set(k('small'), part(100))
    cache.set(k('page'), part(300))
    cache.set(k('page'), part(501))
    expect(cache.get(k('page'))).toBeUndefined()
    expect(cache.get(k('small'))).toBeDefined()
    expect(cache.bytes).toBe(100)
  })

  it('holds at most its number of entries, parts of no bytes among them', () => {
    const cache = new PageCache(() => {}, { maxEntries: 3 })
    for (let i = 0; i < 5; i++) cache.set(k(`id${i}`), part(0))
    expect([0, 1, 2, 3, 4].map((i) => cache.get(k(`id${i}`)) !== undefined)).toEqual([false, false, true, true, true])
    expect(cache.bytes).toBe(0)
  })
})
