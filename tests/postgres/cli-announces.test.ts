import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { groupedFingerprint } from '../../src/domain/letters.ts'
import { pgServerEnv } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'
import { startServer } from '../support/server.ts'

// An operator's command is a process of its own, short-lived, beside the running servers: what it
// changes, it announces (NOTIFY) so that they drop the pages they cached. A command that ended
// before its announcement went out leaves every node serving what it replaced, for as long as the
// page stays in the cache: after a rotation (a removed member may hold the old cell key), the
// letter form goes on encrypting to the old key. So each command here is heard by a listener on
// the channel before its process exits, and the server shows the new key at once.
const root = new URL('../../', import.meta.url).pathname
let gpg: Gpg
let first: string
let second: string
beforeAll(() => {
  gpg = new Gpg()
  first = gpg.generateCellKey('first cell key')
  second = gpg.generateCellKey('second cell key')
})
afterAll(() => gpg.close())

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('an operator command on PostgreSQL, as the running servers hear of it', () => {
  it('cell key set, twice: each announced before the command exits; the letter form shows the new key at once', { timeout: 180_000 }, async () => {
    const { env, drop } = await pgServerEnv()
    const server = await startServer({ ...env, ABUSE_COSTS: 'off' })
    const listener = new pg.Client({ connectionString: env.DATABASE_URL })
    try {
      const heard: string[] = []
      await listener.connect()
      listener.on('notification', (n) => heard.push(n.payload ?? ''))
      await listener.query('listen cellboard_invalidate')
      const get = async (path: string) => (await fetch(new URL(path, server.url))).text()

      for (const [i, fpr] of [first, second].entries()) {
        const file = join(gpg.home, `key-${i}.asc`)
        writeFileSync(file, gpg.exportPublic(fpr))
        // The pages are kept by the server before the command (twice: the second is the cache's).
        await get('/c/lobby/letters/new')
        await get('/c/lobby/letters/new')
        const before = heard.length
        const r = cli(env, 'cell', 'key', 'set', 'lobby', file)
        expect(r.err).toBe('')
        expect(r.code).toBe(0)
        // spawnSync held this process; what the channel carried meanwhile arrives now.
        await new Promise((r) => setTimeout(r, 300))
        expect(heard.slice(before).map((p) => p.split(' ')[1]), `announcement of key ${i + 1}`).toEqual(['*'])
        expect(await get('/c/lobby/letters/new')).toContain(groupedFingerprint(fpr))
      }
    } finally {
      await listener.end().catch(() => {})
      await server.stop()
      await drop()
    }
  })
})

describe('an operator command on PostgreSQL whose announcement cannot go out', () => {
  it('says so on stderr and exits 1 (the change stays); purge, once announcements go out again, makes the servers drop what they kept', { timeout: 180_000 }, async () => {
    const { env, drop } = await pgServerEnv()
    const db = new URL(env.DATABASE_URL!).pathname.slice(1)
    const server = await startServer({ ...env, ABUSE_COSTS: 'off' })
    const admin = new pg.Client({ connectionString: env.DATABASE_URL })
    try {
      await admin.connect()
      const get = async (path: string) => (await fetch(new URL(path, server.url))).text()
      const file = (i: number, fpr: string) => {
        const path = join(gpg.home, `unheard-${i}.asc`)
        writeFileSync(path, gpg.exportPublic(fpr))
        return path
      }
      expect(cli(env, 'cell', 'key', 'set', 'lobby', file(1, first))).toMatchObject({ code: 0, err: '' })
      await get('/c/lobby/letters/new')
      expect(await get('/c/lobby/letters/new')).toContain(groupedFingerprint(first))

      // Real PostgreSQL, made to refuse NOTIFY to the connections opened from now on (the server's
      // are open already): pg_notify found first in this database's own schema, and failing.
      await admin.query(`create function public.pg_notify(text, text) returns void language plpgsql as $$ begin raise exception 'announcements refused here'; end $$`)
      await admin.query(`alter database ${db} set search_path = public, pg_catalog`)
      const r = cli(env, 'cell', 'key', 'set', 'lobby', file(2, second))
      expect(r.code).toBe(1)
      expect(r.out).toContain(groupedFingerprint(second)) // stored: the command did what it was asked
      expect(r.err).toMatch(/^cellboard: the change is stored, but the running servers could not be told of it \(announcements refused here\)/)
      expect(r.err).toContain('npm run cellboard -- purge')
      // What the operator was warned of: the server still shows the old key.
      expect(await get('/c/lobby/letters/new')).toContain(groupedFingerprint(first))

      await admin.query(`alter database ${db} reset search_path`)
      expect(cli(env, 'purge')).toMatchObject({ code: 0, err: '' })
      await new Promise((r) => setTimeout(r, 300))
      expect(await get('/c/lobby/letters/new')).toContain(groupedFingerprint(second))
    } finally {
      await admin.end().catch(() => {})
      await server.stop()
      await drop()
    }
  })
})
