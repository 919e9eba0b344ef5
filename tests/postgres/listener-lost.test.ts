import { createServer, Socket } from 'node:net'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { openStorage } from '../../src/db/storage.ts'
import { makePgDatabase, pgServerEnv } from '../support/app.ts'
import { startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'
import { until } from '../support/until.ts'

// Every node keeps pages, middles and boards' access rules with no expiry, and learns that they
// are stale only through its LISTEN connection (db/storage.ts, watch). That connection can be
// lost: PostgreSQL restarted or failed over, idle_session_timeout, a NAT's timeout. A node that
// did not notice kept serving what another node had since changed (a reply, a removal, a board
// made members-only) for as long as it ran. Now a lost listener drops everything it kept, and
// comes back, dropping everything again once it hears again (whatever it missed in between).

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
      const listeners = async () => (await admin.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and application_name = 'cellboard listener' and pid <> pg_backend_pid()")).rows
      const cut = (await listeners()).map((l) => l.pid)
      expect(cut).toHaveLength(2)
      for (const pid of cut) await admin.query('select pg_terminate_backend($1)', [pid])

      // Written on A while B cannot hear it: B must not go on serving its page without it.
      expect((await poster.post(thread, { body: 'second words' })).res.status).toBe(303)
      expect(await until(async () => (await reader.fetch(thread)).text.includes('second words'))).toBe(true)

      // Listening again: a later reply on A reaches B's page, which B kept again meanwhile.
      expect(await until(async () => (await listeners()).filter((l) => !cut.includes(l.pid)).length === 2)).toBe(true)
      expect((await reader.fetch(thread)).text).not.toContain('third words')
      expect((await poster.post(thread, { body: 'third words' })).res.status).toBe(303)
      expect(await until(async () => (await reader.fetch(thread)).text.includes('third words'))).toBe(true)
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

/** A TCP relay to PostgreSQL that can go silent: connections stay open, nothing passes (a NAT that forgot them). */
async function relay(to: URL) {
  const state = { silent: false }
  const sockets: Socket[] = []
  const server = createServer((inbound) => {
    sockets.push(inbound)
    inbound.on('error', () => {})
    if (state.silent) return // accepted, never answered
    const out = new Socket()
    sockets.push(out)
    out.on('error', () => inbound.destroy())
    out.connect(Number(to.port || 5432), to.hostname, () => {
      inbound.on('data', (d) => void (state.silent || out.write(d)))
      out.on('data', (d) => void (state.silent || inbound.write(d)))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return { port, state, close: () => (sockets.forEach((s) => s.destroy()), new Promise((r) => server.close(r))) }
}

describe('the listening connection, as the node keeps it', () => {
  it('lost, it drops everything at once and again once it listens anew; then it hears', async () => {
    const pgdb = await makePgDatabase()
    const [here, there] = await Promise.all([openStorage({ databaseUrl: pgdb.url, dataDir: '' }), openStorage({ databaseUrl: pgdb.url, dataDir: '' })])
    const admin = new pg.Client({ connectionString: pgdb.url })
    try {
      await admin.connect()
      const heard: (string[] | null)[] = []
      const unwatch = await there.watch((tags) => heard.push(tags))
      const pid = async () => (await admin.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and application_name = 'cellboard listener'")).rows.map((r) => r.pid)
      const [first] = await pid()
      expect(first).toBeDefined()
      await admin.query('select pg_terminate_backend($1)', [first])
      // Dropped at once, before any new connection.
      expect(await until(async () => heard.length >= 1)).toBe(true)
      expect(heard[0]).toBeNull()
      expect(await until(async () => (await pid()).some((p) => p !== first))).toBe(true)
      // And again once listening anew: then what another node says is heard.
      expect(await until(async () => heard.length >= 2)).toBe(true)
      expect(heard).toEqual([null, null])
      await here.announce(['board:7'])
      expect(await until(async () => heard.length === 3)).toBe(true)
      expect(heard[2]).toEqual(['board:7'])
      await unwatch()
    } finally {
      await admin.end().catch(() => {})
      await Promise.all([here.close(), there.close()])
      await pgdb.drop()
    }
  })

  it('gone silent without a word (a NAT that forgot it), the heartbeat finds it lost', async () => {
    const pgdb = await makePgDatabase()
    const r = await relay(new URL(pgdb.url))
    const through = new URL(pgdb.url)
    through.hostname = '127.0.0.1'
    through.port = String(r.port)
    const [here, there] = await Promise.all([
      openStorage({ databaseUrl: pgdb.url, dataDir: '' }),
      openStorage({ databaseUrl: through.toString(), dataDir: '', listener: { heartbeatMs: 200, timeoutMs: 1_000 } }),
    ])
    try {
      const heard: (string[] | null)[] = []
      const unwatch = await there.watch((tags) => heard.push(tags))
      await here.announce(['board:1'])
      expect(await until(async () => heard.length === 1)).toBe(true)
      r.state.silent = true
      await here.announce(['board:2']) // never arrives
      // Found lost by the heartbeat's unanswered question; each attempt while silent fails and drops again.
      expect(await until(async () => heard.filter((h) => h === null).length >= 2)).toBe(true)
      expect(heard).not.toContainEqual(['board:2'])
      r.state.silent = false
      const dropsBefore = heard.length
      expect(await until(async () => heard.length > dropsBefore)).toBe(true)
      // Listening again (the drop once it listens is among those above): the next notice arrives.
      expect(await until(async () => (await here.announce(['board:3']), heard.some((h) => h?.[0] === 'board:3')), 20_000)).toBe(true)
      await unwatch()
    } finally {
      await r.close()
      await Promise.all([here.close(), there.close()])
      await pgdb.drop()
    }
  }, 60_000)
})
