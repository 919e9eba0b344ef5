import { describe, expect, it } from 'vitest'
import { announceRetrying } from '../../src/compose.ts'
import type { Storage } from '../../src/db/storage.ts'
import { cacheTag, type CacheKey, PageCache } from '../../src/services/page-cache.ts'

// The page cache's bounds (services/page-cache.ts): entries, and bytes counted once per part.
const k = (s: string) => s as CacheKey
const part = (n: number, tags = ['t']) => ({ meta: null, bytes: new Uint8Array(n), tags })

describe('PageCache, bounded in bytes', () => {
  it('keeps the newest parts within its bytes and lets the oldest go first', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    for (let i = 0; i < 10; i++) cache.set(k(`p${i}`), part(200), cache.epoch())
    expect(cache.bytes).toBe(1000)
    for (let i = 0; i < 5; i++) expect(cache.get(k(`p${i}`))).toBeUndefined()
    for (let i = 5; i < 10; i++) expect(cache.get(k(`p${i}`))).toBeDefined()
  })

  it('counts a part kept again under its key once, and one kept under two keys once until both are gone', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    cache.set(k('a'), part(100, ['a']), cache.epoch())
    cache.set(k('a'), part(150, ['a']), cache.epoch())
    expect(cache.bytes).toBe(150)
    cache.drop(['a'])
    expect(cache.bytes).toBe(0)
    // A whole page kept under its shared key, and later under its address.
    const whole = part(300, ['whole'])
    cache.set(k('shared'), whole, cache.epoch())
    cache.set(k('b'), part(200), cache.epoch())
    cache.set(k('address'), whole, cache.epoch())
    expect(cache.bytes).toBe(500)
    cache.set(k('c'), part(400), cache.epoch())
    // Over 1,000: the oldest key goes first, but the page stays counted while its address holds it.
    cache.set(k('d'), part(200), cache.epoch())
    expect(cache.get(k('shared'))).toBeUndefined()
    expect(cache.get(k('b'))).toBeUndefined()
    expect(cache.get(k('address'))).toBe(whole)
    expect(cache.bytes).toBe(300 + 400 + 200)
    cache.drop(['whole'])
    expect(cache.bytes).toBe(600)
  })

  it('drops by tag and everything, counting down to 0', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    cache.set(k('x'), part(100, ['thread:1']), cache.epoch())
    cache.set(k('y'), part(200, ['thread:2']), cache.epoch())
    cache.drop(['thread:1'])
    expect(cache.bytes).toBe(200)
    expect(cache.get(k('y'))).toBeDefined()
    cache.drop(null)
    expect(cache.bytes).toBe(0)
    expect(cache.get(k('y'))).toBeUndefined()
  })

  it('keeps no part over half its bytes, and a key kept again with one lets the old part go', () => {
    const cache = new PageCache(() => {}, { maxBytes: 1000 })
    cache.set(k('small'), part(100), cache.epoch())
    cache.set(k('page'), part(300), cache.epoch())
    cache.set(k('page'), part(501), cache.epoch())
    expect(cache.get(k('page'))).toBeUndefined()
    expect(cache.get(k('small'))).toBeDefined()
    expect(cache.bytes).toBe(100)
  })

  it('holds at most its number of entries, parts of no bytes among them', () => {
    const cache = new PageCache(() => {}, { maxEntries: 3 })
    for (let i = 0; i < 5; i++) cache.set(k(`id${i}`), part(0), cache.epoch())
    expect([0, 1, 2, 3, 4].map((i) => cache.get(k(`id${i}`)) !== undefined)).toEqual([false, false, true, true, true])
    expect(cache.bytes).toBe(0)
  })
})

// A part is kept only if none of its tags was dropped after its builder took epoch(), before
// reading what it shows: else a page read before a write and kept after the write's drop stays
// stale until the next write (tests/postgres/page-cache-race.test.ts shows it through the app).
describe('PageCache, parts read before a drop', () => {
  it('refuses a part one of whose tags was dropped after its read began, and keeps the others', () => {
    const cache = new PageCache()
    const since = cache.epoch()
    cache.drop(['thread:1', 'listing:1'])
    expect(cache.set(k('thread page'), part(10, ['thread:1', 'board:1']), since)).toBe(false)
    expect(cache.get(k('thread page'))).toBeUndefined()
    expect(cache.set(k('other thread'), part(10, ['thread:2', 'board:1']), since)).toBe(true)
    expect(cache.get(k('other thread'))).toBeDefined()
    // Read after the drop: kept.
    expect(cache.set(k('thread page'), part(10, ['thread:1', 'board:1']), cache.epoch())).toBe(true)
    expect(cache.get(k('thread page'))).toBeDefined()
  })

  it('a part refused leaves the one kept meanwhile under its key', () => {
    const cache = new PageCache()
    const slow = cache.epoch()
    cache.drop(['thread:1'])
    const fresh = part(20, ['thread:1'])
    expect(cache.set(k('page'), fresh, cache.epoch())).toBe(true)
    expect(cache.set(k('page'), part(10, ['thread:1']), slow)).toBe(false)
    expect(cache.get(k('page'))).toBe(fresh)
  })

  it('after everything is dropped, refuses every part read before, whatever its tags', () => {
    const cache = new PageCache()
    const since = cache.epoch()
    cache.drop(null)
    expect(cache.set(k('no tags'), part(10, []), since)).toBe(false)
    expect(cache.set(k('no tags'), part(10, []), cache.epoch())).toBe(true)
  })

  it('remembers a bounded number of drops: a read older than the oldest remembered is refused', () => {
    const cache = new PageCache()
    const old = cache.epoch()
    cache.drop(['thread:0'])
    const recent = cache.epoch()
    for (let i = 1; i <= 5000; i++) cache.drop([`thread:${i}`])
    // thread:9999 was never dropped, but whether it was after `old` can no longer be told.
    expect(cache.set(k('a'), part(10, ['thread:9999']), old)).toBe(false)
    expect(cache.set(k('b'), part(10, ['thread:9999']), recent)).toBe(false)
    const now = cache.epoch()
    cache.drop(['thread:5001'])
    expect(cache.set(k('c'), part(10, ['thread:9999']), now)).toBe(true)
    expect(cache.set(k('d'), part(10, ['thread:5001']), now)).toBe(false)
  })

  it('remembers a reader\'s own tags (session, key) as one: one session\'s drop refuses any own page read before it', () => {
    const cache = new PageCache()
    const since = cache.epoch()
    cache.drop([cacheTag.session('hash-of-one-session')])
    expect(cache.set(k('own page of another'), part(10, ['thread:1', cacheTag.session('another'), cacheTag.key('f'.repeat(40))]), since)).toBe(false)
    expect(cache.set(k('shared page'), part(10, ['thread:1']), since)).toBe(true)
    expect(cache.set(k('own page of another'), part(10, ['thread:1', cacheTag.session('another'), cacheTag.key('f'.repeat(40))]), cache.epoch())).toBe(true)
  })

  it('refuses a part given no epoch at all', () => {
    const cache = new PageCache()
    expect(cache.set(k('a'), part(10, []), undefined as unknown as number)).toBe(false)
    expect(cache.set(k('a'), part(10, []), Number.NaN)).toBe(false)
    expect(cache.get(k('a'))).toBeUndefined()
  })
})


describe('PageCache, telling the others', () => {
  it('settled() waits for every announcement begun, never rejects for one that failed, and gives the first failure', async () => {
    const told: (string[] | null)[] = []
    const later: (() => void)[] = []
    const failures: string[] = []
    const cache = new PageCache(
      (tags) => {
        told.push(tags)
        if (tags?.[0] === 'bad') return Promise.reject(new Error('refused'))
        return new Promise<void>((r) => later.push(r))
      },
      { onUnheard: (e) => failures.push(e.message) },
    )
    const first = cache.invalidate('thread:1')
    let settled = false
    const waiting = cache.settled().then((e) => ((settled = true), e))
    await expect(cache.invalidate('bad')).resolves.toBeUndefined()
    void cache.clear()
    await new Promise((r) => setTimeout(r, 10))
    expect(settled).toBe(false) // two announcements still going
    expect(told).toEqual([['thread:1'], ['bad'], null])
    expect(failures).toEqual(['refused'])
    for (const r of later) r()
    await first
    expect((await waiting)?.message).toBe('refused')
    expect(settled).toBe(true)
  })

  it('settled() with nothing begun, or all told, gives no failure', async () => {
    const cache = new PageCache(() => Promise.resolve())
    expect(await cache.settled()).toBeUndefined()
    await cache.invalidate('a')
    expect(await cache.settled()).toBeUndefined()
  })
})

describe('announceRetrying (compose.ts)', () => {
  it('tries twice more before it gives up, and stops at the first that goes out', async () => {
    let calls = 0
    const failingTwice = { announce: () => (++calls <= 2 ? Promise.reject(new Error('lost')) : Promise.resolve()) } as unknown as Storage
    await expect(announceRetrying(failingTwice, ['a'])).resolves.toBeUndefined()
    expect(calls).toBe(3)
    calls = 0
    const never = { announce: () => (++calls, Promise.reject(new Error('gone'))) } as unknown as Storage
    await expect(announceRetrying(never, null)).rejects.toThrow('gone')
    expect(calls).toBe(3)
  })

  it('gives up on an attempt that never answers, each in its time', async () => {
    let calls = 0
    const silent = { announce: () => (++calls, new Promise<void>(() => {})) }
    const started = performance.now()
    await expect(announceRetrying(silent, ['a'], 50)).rejects.toThrow('no answer in 0.05 s')
    expect(calls).toBe(3)
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('a failure it cannot report (onUnheard throws) still leaves invalidate resolved and settled() with the failure', async () => {
    const cache = new PageCache(() => Promise.reject(new Error('down')), {
      onUnheard: () => {
        throw new Error('stderr closed')
      },
    })
    await expect(cache.invalidate('a')).resolves.toBeUndefined()
    expect((await cache.settled())?.message).toBe('down')
  })
})
