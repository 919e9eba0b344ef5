import { describe, expect, it } from 'vitest'
import { busyForGzip } from '../../src/http/compression.ts'

// Issue 15: a page built on a miss is first gzipped at level 1 only when the node is busy, judged
// by its event loop's utilisation over the last whole second (http/compression.ts says why not by
// the requests in flight: that would tell a reader whether someone else was reading).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('busyForGzip: the event loop over the last second', () => {
  it('is busy after a second of work, and not after a second of nothing', async () => {
    expect(busyForGzip(1)).toBe(false) // 1: never (and the measuring starts)
    await sleep(1100) // a second of nothing measured
    expect(busyForGzip(0.5)).toBe(false)
    const until = performance.now() + 1500
    while (performance.now() < until); // the loop held, as by pages built one after another
    await sleep(5) // the overdue measurement runs first
    expect(busyForGzip(0.5)).toBe(true)
    expect(busyForGzip(0)).toBe(true) // 0: always
    expect(busyForGzip(1)).toBe(false)
    await sleep(2100)
    expect(busyForGzip(0.5)).toBe(false)
  })
})
