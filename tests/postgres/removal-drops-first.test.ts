import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { purge, removePost } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'

// A removal commits, then the purge runs in a transaction of its own (retention, keys left signing
// nothing, letters, answers' copies) and checkpoints. Until 2026-12-07 the pages were dropped, on
// this node and the others, only once that second transaction had committed: a purge waiting for
// a lock (another node's purge rewriting a table with VACUUM FULL, which holds it exclusively) left
// the removed post on every page for as long as it waited, and a purge that failed left it there
// until the next write to the thread or a purge by hand.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

describe('a removal drops the pages when it commits, not when its purge does (PostgreSQL)', () => {
  it('while the purge waits for a table another transaction holds, and after that purge fails, no reader sees the removed post', async () => {
    const poster = board.client()
    await poster.takeIdentity()
    const { res } = await poster.post('/c/lobby/general', { title: 'Soon less', body: 'opening words' })
    const thread = new URL(res.headers.get('location')!, 'http://x').pathname
    expect((await poster.post(thread, { body: 'removable-marker-7q' })).res.status).toBe(303)
    const n = Number(thread.split('/').pop())
    // Kept by the cache, with the marker in it.
    const reader = board.client()
    expect((await reader.get(thread)).text).toContain('removable-marker-7q')

    // Another transaction holds the letters' table, as a rewrite would.
    const holder = new pg.Client({ connectionString: board.deps.config.databaseUrl! })
    await holder.connect()
    try {
      await holder.query('begin')
      await holder.query('lock table letter in access exclusive mode')
      const removal = removePost(board.deps, { cell: 'lobby', board: 'general', thread: n, number: 2 })
      removal.catch(() => {}) // awaited below
      // The removal commits; its purge then waits for the letters.
      // Up to 30 s each, on a loaded machine.
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline && (await board.count('post', 'where body_source = ?', 'removable-marker-7q')) > 0) await new Promise((r) => setTimeout(r, 25))
      expect(await board.count('post', 'where body_source = ?', 'removable-marker-7q')).toBe(0)
      const waiting = async () => (await holder.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n as number
      const waitsBy = Date.now() + 30_000
      while (Date.now() < waitsBy && (await waiting()) === 0) await new Promise((r) => setTimeout(r, 25))
      expect(await waiting()).toBe(1)
      for (const path of [thread, `${thread}?page=1`]) {
        const page = await board.client().get(path)
        expect(page.res.status).toBe(200)
        expect(page.text, path).toContain('opening words')
        expect(page.text, path).not.toContain('removable-marker-7q')
      }
      // The purge fails (its backend ended, as by an administrator or a lost connection): the
      // removal stands and says so; the pages stay without the post.
      await holder.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
      await expect(removal).rejects.toThrow(/the removal is done and every page that showed it was dropped, but forgetting it from the database’s files did not finish \(.*\)\. Run: npm run cellboard -- purge/)
      expect((await board.client().get(thread)).text).not.toContain('removable-marker-7q')
      expect((await reader.get(`${thread}?page=1`)).text).not.toContain('removable-marker-7q')
      // The next purge (the timer's) finishes it, once the table is free: rewrites the tables and checkpoints, once.
      await holder.query('rollback')
      expect((await purge(board.deps)).checkpointAttempts).toBeGreaterThan(0)
      expect((await purge(board.deps)).checkpointAttempts).toBe(0)
    } finally {
      await holder.query('rollback').catch(() => {})
      await holder.end()
    }
  })
})
