import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgServerEnv } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'
import { startServer, type RunningServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'
import { until } from '../support/until.ts'

// An operator's command is a process of its own, short-lived, beside the running servers: what it
// changes, it announces (NOTIFY) so that they drop the pages they cached. An announcement that did
// not go out leaves every node serving what the command replaced for as long as it keeps the page,
// with no expiry: after "post remove", the removed words, which the board must forget. So each
// command is heard on the channel before its process exits; and when the announcement cannot go
// out, the command says so and exits 1, and purge, run once it can, makes the servers drop it all.
const root = new URL('../../', import.meta.url).pathname
let gpg: Gpg
beforeAll(() => (gpg = new Gpg()))
afterAll(() => gpg.close())

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** A thread with two replies, its page kept by the server (read twice: the second is the cache's). */
async function threadWithReplies(server: RunningServer, words: string[]): Promise<{ path: string; number: number; page: () => Promise<string> }> {
  const poster = new Visitor(server.url)
  await poster.takeIdentity()
  await poster.fetch('/c/lobby/general')
  const path = (await poster.post('/c/lobby/general', { title: 'A thread', body: 'the first post' })).res.headers.get('location')!
  for (const body of words) expect((await poster.post(path, { body })).res.status).toBe(303)
  const page = async () => (await fetch(new URL(path, server.url))).text()
  await page()
  expect(await page()).toContain(words[0])
  return { path, number: Number(/\/t\/(\d+)/.exec(path)![1]), page }
}

describe('an operator command on PostgreSQL, as the running servers hear of it', () => {
  it('post remove and cell key set are each announced before the command exits; the server drops the kept page that showed the removed reply', { timeout: 180_000 }, async () => {
    const { env, drop } = await pgServerEnv()
    const server = await startServer({ ...env, ABUSE_COSTS: 'off' })
    const listener = new pg.Client({ connectionString: env.DATABASE_URL })
    try {
      const heard: string[] = []
      await listener.connect()
      listener.on('notification', (n) => heard.push(n.payload ?? ''))
      await listener.query('listen cellboard_invalidate')
      const thread = await threadWithReplies(server, ['REMOVE-ME-7f3a', 'kept reply'])
      // spawnSync holds this process; what the channel carried meanwhile is heard after it: the
      // first notice within 15 s, and then a moment for any other to arrive.
      const after = async (before: number) => {
        await until(async () => heard.length > before)
        await new Promise((r) => setTimeout(r, 300))
        return heard.slice(before).map((p) => p.split(' ')[1])
      }

      let before = heard.length
      const removed = cli(env, 'post', 'remove', 'lobby', 'general', String(thread.number), '2')
      expect(removed).toMatchObject({ code: 0, err: '' })
      expect(await after(before)).toEqual(['*'])
      expect(await until(async () => !(await thread.page()).includes('REMOVE-ME-7f3a'))).toBe(true)
      expect(await thread.page()).toContain('kept reply')

      const file = join(gpg.home, 'cell.asc')
      writeFileSync(file, gpg.exportPublic(gpg.generateCellKey('cell key')))
      before = heard.length
      expect(cli(env, 'cell', 'key', 'set', 'lobby', file)).toMatchObject({ code: 0, err: '' })
      expect(await after(before)).toEqual(['*'])
    } finally {
      await listener.end().catch(() => {})
      await server.stop()
      await drop()
    }
  })
})

describe('an operator command on PostgreSQL whose announcement cannot go out', () => {
  it('post remove says so on stderr and exits 1, the removal stands; purge, once announcements go out again, makes the server drop the page that still showed it', { timeout: 180_000 }, async () => {
    const { env, drop } = await pgServerEnv()
    const db = new URL(env.DATABASE_URL!).pathname.slice(1)
    const server = await startServer({ ...env, ABUSE_COSTS: 'off' })
    const admin = new pg.Client({ connectionString: env.DATABASE_URL })
    try {
      await admin.connect()
      const thread = await threadWithReplies(server, ['REMOVE-ME-9c1e', 'kept reply'])

      // Real PostgreSQL, made to refuse NOTIFY to the connections opened from now on (the server's
      // are open already): pg_notify found first in this database's own schema, and failing.
      await admin.query(`create function public.pg_notify(text, text) returns void language plpgsql as $$ begin raise exception 'announcements refused here'; end $$`)
      await admin.query(`alter database ${db} set search_path = public, pg_catalog`)
      const r = cli(env, 'post', 'remove', 'lobby', 'general', String(thread.number), '2')
      expect(r.err).toMatch(/^cellboard: the change is stored, but the running servers could not be told of it \(announcements refused here\)/)
      expect(r.err).toContain('"npm run cellboard -- purge"')
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/^removed post 2 /) // the command did what it was asked
      const { rows } = await admin.query(`select count(*)::int as n from post where body_source like '%REMOVE-ME-9c1e%'`)
      expect(rows[0].n).toBe(0)
      // What the operator was warned of: the server still shows the removed words.
      expect(await thread.page()).toContain('REMOVE-ME-9c1e')

      await admin.query(`alter database ${db} reset search_path`)
      expect(cli(env, 'purge')).toMatchObject({ code: 0, err: '' })
      // The server hears the purge's notice on its own connection: within 15 s.
      expect(await until(async () => !(await thread.page()).includes('REMOVE-ME-9c1e'))).toBe(true)
      expect(await thread.page()).toContain('kept reply')
    } finally {
      await admin.end().catch(() => {})
      await server.stop()
      await drop()
    }
  })
})
