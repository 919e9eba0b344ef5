import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { pgServerEnv } from '../support/app.ts'
import { startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

// A connection cut while a statement is on it (its backend ended by an administrator, PostgreSQL
// failing over, a NAT forgetting it): node-postgres fails the statement and also emits 'error' on
// the connection, which the pool listens for only while the connection is idle. Until 2026-12-07
// nothing listened while it was in use, so the event took the whole node down (and the CLI, with a
// stack trace instead of its message). Now the statement's own failure is the answer: the request
// gets an error page, the pool drops the connection, and the node serves the next request.
describe('a PostgreSQL connection cut in the middle of a statement (PostgreSQL)', () => {
  it("fails that request, not the node: the next post goes through", async () => {
    const { env, drop } = await pgServerEnv()
    const node = await startServer(env)
    const holder = new pg.Client({ connectionString: env.DATABASE_URL })
    await holder.connect()
    try {
      const poster = new Visitor(node.url)
      await poster.takeIdentity()
      await poster.fetch('/c/lobby/general')
      // The threads' table held, so a new thread's transaction waits for it on one of the node's connections.
      await holder.query('begin')
      await holder.query('lock table thread in access exclusive mode')
      const sent = poster.post('/c/lobby/general', { title: 'Cut short', body: 'in the middle of it' })
      let cut = 0
      // Up to 30 s for the node's statement to wait for the lock, on a loaded machine.
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && cut === 0; ) {
        const r = await holder.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`)
        cut = r.rowCount ?? 0
        if (cut === 0) await new Promise((r) => setTimeout(r, 25))
      }
      expect(cut).toBe(1)
      const answer = await sent
      expect(answer.res.status).toBeGreaterThanOrEqual(500)
      await holder.query('rollback')
      // The node is still there, and the next post goes through on a connection that works.
      expect(node.proc.exitCode).toBeNull()
      await poster.fetch('/c/lobby/general')
      const again = await poster.post('/c/lobby/general', { title: 'Whole', body: 'said again' })
      expect(again.res.status).toBe(303)
      expect((await new Visitor(node.url).fetch(again.res.headers.get('location')!)).text).toContain('said again')
      // Said where the operator reads (the error, never the request).
      expect(node.output()).toContain('cellboard: internal error')
      expect(node.output()).not.toContain('in the middle of it')
    } finally {
      await holder.end().catch(() => {})
      await node.stop()
      await drop()
    }
  }, 60_000)
})
