import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBoard } from '../../src/services/cells.ts'
import { purge } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.UTC(2026, 10, 1, 12)
  board = await makeBoard({}, () => now)
  await createBoard(board.deps, { cell: 'lobby', slug: 'brief', name: 'Brief', description: '', retentionDays: 2 })
})
afterEach(() => board.close())

describe('board retention', () => {
  it('threads whose last post is older than the board’s retention are forgotten; active ones and other boards stay', async () => {
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/brief')
    const old = (await c.post('/c/lobby/brief', { title: 'OLDTHREADMARKER', body: 'OLDBODYMARKER' })).res.headers.get('location')!
    const lively = (await c.post('/c/lobby/brief', { title: 'Lively', body: 'first' })).res.headers.get('location')!
    const kept = (await c.post('/c/lobby/general', { title: 'On a board without retention', body: 'KEPTMARKER' })).res.headers.get('location')!
    now += 36 * 3600_000
    await c.takeIdentity() // the first session ended after 12 h idle
    await c.get(lively)
    expect((await c.post(lively, { body: 'still talking' })).res.status).toBe(303)
    now += 24 * 3600_000 // the old thread is 60 h idle, the lively one 24 h

    expect(Object.keys(await board.findPresentMarkers(['OLDTHREADMARKER', 'OLDBODYMARKER']))).toHaveLength(2)
    const report = await purge(board.deps)
    expect(report.threads).toBe(1)
    expect(await board.findMarkers(['OLDTHREADMARKER', 'OLDBODYMARKER'])).toEqual({})
    expect((await c.get(old)).res.status).toBe(404)
    expect((await c.get(lively)).res.status).toBe(200)
    expect((await c.get(kept)).res.status).toBe(200)
    expect((await c.get('/c/lobby/brief')).text).not.toContain('OLDTHREADMARKER')
  })

  it('the key of a forgotten thread is forgotten when it signs nothing else', async () => {
    const c = board.client()
    const fpr = await c.takeIdentity()
    await c.get('/c/lobby/brief')
    await c.post('/c/lobby/brief', { title: 'Alone', body: 'only post by this key' })
    expect((await c.request(`/k/${fpr}.asc`)).status).toBe(200)
    expect(Object.keys(await board.findPresentMarkers([fpr]))).toEqual([fpr])
    now += 3 * 86_400_000
    expect((await purge(board.deps)).keys).toBe(1)
    expect((await c.request(`/k/${fpr}.asc`)).status).toBe(404)
    const left = await board.findMarkers([fpr])
    expect(left, JSON.stringify(left)).toEqual({})
  })
})

describe('coarse time', () => {
  it('stores and shows times rounded to the configured granularity', async () => {
    await board.close()
    now = Date.UTC(2026, 10, 22, 9, 41, 17)
    board = await makeBoard({ TIME_GRANULARITY_MINUTES: '15' }, () => now)
    const c = board.client()
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    const thread = (await c.post('/c/lobby/general', { title: 'When', body: 'now' })).res.headers.get('location')!
    expect(await board.column('select created_at from post')).toEqual(['2026-11-22T09:30:00.000Z'])
    expect(await board.column('select last_post_at from thread')).toEqual(['2026-11-22T09:30:00.000Z'])
    expect((await c.get(thread)).text).toContain('Nov 22, 2026, 09:30 UTC')
    // The unrounded time as it would be stored, with its (made-up) day: on PostgreSQL the scan
    // reads the cluster's whole WAL, where other tests' migrations write the real clock's time
    // ("2026-12-05T09:41:…"), so a bare "09:41" was found whenever the suite ran at minute 41.
    expect(await board.findMarkers(['2026-11-22T09:41'])).toEqual({})
  })
})
