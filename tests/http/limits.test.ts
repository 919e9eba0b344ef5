import { afterEach, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { LIMITS_AS_CONFIGURED } from '../support/settings.ts'

// Limits per key, as configured by default: 6 threads an hour and 20 replies every 10 minutes, a
// third of that in a key's first hour. One disposable identity once started 42 threads in 0.99 s.
let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
const start = async () => {
  now = Date.now()
  board = await makeBoard(LIMITS_AS_CONFIGURED, () => now)
}
afterEach(() => board.close())

const alertOf = (html: string) => unescape(/role="alert">([^<]+)/.exec(html)?.[1] ?? '')

async function poster(): Promise<Client> {
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  return c
}

describe('limits per key', () => {
  it('a new key starts 2 threads in its first hour; the third → 429 saying when, the text kept, nothing stored', async () => {
    await start()
    const c = await poster()
    for (let i = 0; i < 2; i++) expect((await c.post('/c/lobby/general', { title: `Thread ${i}`, body: 'body' })).res.status).toBe(303)
    const before = await board.count('thread')
    const r = await c.post('/c/lobby/general', { title: 'One too many', body: 'FLOODTEXT' })
    expect(r.res.status).toBe(429)
    expect(alertOf(r.text)).toMatch(/^In its first hour a key may start a thread 2 times an hour \(6 times after that\), and this one has\. You may start a thread again in about \d+ minutes?\./)
    expect(r.text).toContain('FLOODTEXT')
    expect(await board.count('thread')).toBe(before)
  })

  it('past its first hour a key has the full limit', async () => {
    await start()
    const c = await poster()
    now += 61 * 60_000
    for (let i = 0; i < 6; i++) expect((await c.post('/c/lobby/general', { title: `Thread ${i}`, body: 'body' })).res.status, `thread ${i}`).toBe(303)
    const r = await c.post('/c/lobby/general', { title: 'Seventh', body: 'body' })
    expect(r.res.status).toBe(429)
    expect(alertOf(r.text)).toMatch(/^A key may start a thread 6 times an hour, and this one has\./)
  })

  it('a refused post (empty, or signed wrong) does not count against the limit', async () => {
    await start()
    const c = await poster()
    for (let i = 0; i < 3; i++) expect((await c.post('/c/lobby/general', { title: '', body: '' })).res.status).toBe(422)
    for (let i = 0; i < 2; i++) expect((await c.post('/c/lobby/general', { title: `Thread ${i}`, body: 'body' })).res.status).toBe(303)
  })

  it('replies: 6 every 10 minutes in a key’s first hour; the seventh by htmx → 429 into the form, text kept', async () => {
    await start()
    const owner = await poster()
    const thread = (await owner.post('/c/lobby/general', { title: 'Busy', body: 'first' })).res.headers.get('location')!
    const c = await poster()
    await c.get(thread)
    for (let i = 0; i < 6; i++) expect((await c.post(thread, { body: `reply ${i}` })).res.status).toBe(303)
    const before = await board.count('post')
    const r = await c.post(thread, { body: 'SEVENTHREPLY' }, { 'HX-Request': 'true' })
    expect(r.res.status).toBe(429)
    expect(r.res.headers.get('hx-retarget')).toBe('#reply')
    expect(r.text).toContain('SEVENTHREPLY')
    expect(unescape(r.text)).toContain('In its first hour a key may reply 6 times every 10 minutes (20 times after that)')
    expect(await board.count('post')).toBe(before)
  })

  it('a spam run: 50 fresh identities trying 10 replies each land 6 each (300), while an older key posts all 10 of its own', async () => {
    await start()
    const legit = await poster()
    const thread = (await legit.post('/c/lobby/general', { title: 'Under attack', body: 'first' })).res.headers.get('location')!
    now += 2 * 3600_000 // the legitimate key is two hours old
    const spammers = await Promise.all(Array.from({ length: 50 }, () => poster()))
    const statuses: Record<number, number> = {}
    const legitStatuses: number[] = []
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(spammers.map((s, i) => s.post(thread, { body: `spam ${i} ${round}` })))
      for (const r of results) statuses[r.res.status] = (statuses[r.res.status] ?? 0) + 1
      legitStatuses.push((await legit.post(thread, { body: `legitimate ${round}` })).res.status)
    }
    expect(statuses).toEqual({ 303: 50 * 6, 429: 50 * 4 })
    expect(legitStatuses).toEqual(Array(10).fill(303))
    expect(await board.count('post')).toBe(1 + 50 * 6 + 10)
  })
})
