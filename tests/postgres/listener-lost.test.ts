import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { openStorage } from '../../src/db/storage.ts'
import { makePgDatabase, pgServerEnv } from '../support/app.ts'
import { startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

// Every node keeps pages, middles and boards' access rules with no expiry, and learns that they
// are stale only through its LISTEN connection (db/storage.ts, watch). That connection can be
// lost: PostgreSQL restarted or failed over, idle_session_timeout, a NAT's timeout. A node that
// did not notice kept serving what another node had since changed (a reply, a removal, a board
// made members-only) for as long as it ran. Now a lost listener drops everything it kept, and
// comes back, dropping everything again once it hears again (whatever it missed in between).

async function until(what: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await what()) return true
  return what()
}

describe('a node whose listening connection is lost', () => {
  it('stops serving what it kept, and hears the other nodes again once it is back', async () => {
    const { env, drop } = await pgServerEnv()
    const [a, b] = await Promise.all([startServer({ ...env, ABUSE_COSTS: 'off' }), startServer({ ...env, ABUSE_COSTS: 'off' })])
    const admin = new pg.Client({ connectionString: env.DATABASE_URL })
    try {
      await admin.connect()
      const poster = new Visitor(a.url)
      await poster.takeIdentity()
      await poster.fetch('/c/lobby/general')
      const thread = (await poster.post('/c/lobby/general', { title: 'Lost listener', body: 'first words' })).res.headers.get('location')!
      const reader = new Visitor(b.url)
      expect((await reader.fetch(thread)).text).toContain('first words')

      // Both nodes' listeners are there, and both are cut off (as a restart of PostgreSQL would).
      const listeners = async () => (await admin.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and query = 'listen cellboard_invalidate' and pid <> pg_backend_pid()")).rows
      expect(await listeners()).toHaveLength(2)
      for (const { pid } of await listeners()) await admin.query('select pg_terminate_backend($1)', [pid])

      // Written on A while B cannot hear it: B must not go on serving its page without it.
      expect((await poster.post(thread, { body: 'second words' })).res.status).toBe(303)
      expect(await until(async () => (await reader.fetch(thread)).text.includes('second words'))).toBe(true)

      // Listening again: a later reply on A reaches B's page, which B kept again meanwhile.
      expect(await until(async () => (await listeners()).length === 2)).toBe(true)
      expect((await reader.fetch(thread)).text).not.toContain('third words')
      expect((await poster.post(thread, { body: 'third words' })).res.status).toBe(303)
      expect(await until(async () => (await reader.fetch(thread)).text.includes('third words'), 3_000)).toBe(true)
    } finally {
      await admin.end().catch(() => {})
      await Promise.all([a.stop(), b.stop()])
      await drop()
    }
  }, 90_000)
})

describe('a change to more boards than a notice can name', () => {
  it('is told as "everything" rather than refused by PostgreSQL (payloads stop at 8,000 bytes)', async () => {
    const pgdb = await makePgDatabase()
    const [here, there] = await Promise.all([openStorage({ databaseUrl: pgdb.url, dataDir: '' }), openStorage({ databaseUrl: pgdb.url, dataDir: '' })])
    try {
      const heard: (string[] | null)[] = []
      const unwatch = await there.watch((tags) => heard.push(tags))
      const few = ['board:1', 'board:2']
      const many = Array.from({ length: 1000 }, (_, i) => `board:${100_000 + i}`) // 13,999 bytes named
      await here.announce(few)
      await here.announce(many)
      expect(await until(async () => heard.length === 2)).toBe(true)
      expect(heard).toEqual([few, null])
      await unwatch()
    } finally {
      await Promise.all([here.close(), there.close()])
      await pgdb.drop()
    }
  })
})
