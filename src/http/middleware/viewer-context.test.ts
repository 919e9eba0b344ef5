import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDeps, type Opened } from '../../compose.ts'
import { loadConfig } from '../../config.ts'
import type { AppEnv } from '../env.ts'
import { viewerContext } from './viewer-context.ts'

// A real (SQLite, memory-state) set of dependencies: sessions, form tokens, the question count.
let dir: string
let opened: Opened
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cellboard-viewer-'))
  opened = await openDeps(loadConfig({ DATA_DIR: dir }), { forgetAfterMigrating: false })
})
afterAll(async () => {
  await opened.close()
  rmSync(dir, { recursive: true, force: true })
})

function app() {
  const a = new Hono<AppEnv>()
  a.use(viewerContext(opened.deps))
  a.get('/', (c) => c.json({ session: c.get('session')?.fingerprint ?? null, expired: c.get('sessionExpired'), csrf: c.get('csrfCookie'), open: c.get('openQuestions') }))
  return a
}

describe('viewerContext', () => {
  it('no cookies: no session, nothing expired, no form-token cookie, no cookie set', async () => {
    const res = await app().request('/')
    expect(await res.json()).toEqual({ session: null, expired: false, csrf: null, open: 0 })
    expect(res.headers.getSetCookie()).toEqual([])
  })
  it('a live session and a cookie this server made are read', async () => {
    const s = await opened.deps.sessions.create({ kind: 'gpg', fingerprint: 'c'.repeat(40), armoredPublic: 'K', armoredPrivate: null })
    const csrf = opened.deps.csrf.newCookie()
    const res = await app().request('/', { headers: { cookie: `cb_session=${s.id}; cb_csrf=${csrf}` } })
    expect(await res.json()).toEqual({ session: 'c'.repeat(40), expired: false, csrf, open: 0 })
  })
  it('a session cookie whose session has ended: marked expired, and the cookie dropped', async () => {
    const res = await app().request('/', { headers: { cookie: 'cb_session=gone' } })
    expect(await res.json()).toMatchObject({ session: null, expired: true })
    expect(res.headers.getSetCookie().join()).toMatch(/^cb_session=; Max-Age=0/)
  })
  it('a form-token cookie the browser chose is ignored', async () => {
    const res = await app().request('/', { headers: { cookie: 'cb_csrf=AAAAAAAAAAAAAAAAAAAAAAAA' } })
    expect(await res.json()).toMatchObject({ csrf: null })
  })
})
