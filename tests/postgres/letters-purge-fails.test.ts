import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { purge } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'
import { makeRole, sendLetters, withCellKey } from '../support/letters.ts'

// Letters marked handled are deleted in their own statement, then purged (services/letters.ts,
// markHandled). A purge that fails there (its connection cut, a lock it gave up on) must not turn
// the reader's form into an error: the letters are gone, and a form sent again would call their
// references unknown. It is said in the server's output instead, and the next purge finishes it.

let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

describe('letters marked handled while their purge fails (PostgreSQL)', () => {
  it('the reader is told they were forgotten, the server says the purge failed, and the next purge finishes it', async () => {
    await withCellKey(board)
    const refs = await sendLetters(board, ['First letter', 'Second letter'])
    const voter = board.client()
    await makeRole(board, voter, 'voter')
    await voter.get('/c/lobby/letters')
    expect(await board.count('letter', 'where reference = ?', refs[0]!)).toBe(1)

    const said = vi.spyOn(console, 'error').mockImplementation(() => {})
    // Another transaction holds the ballots' table, as another node's purge rewriting it would: the
    // purge's own transaction (keys left signing nothing, looked for among ballots) waits for it.
    const holder = new pg.Client({ connectionString: board.deps.config.databaseUrl! })
    await holder.connect()
    try {
      await holder.query('begin')
      await holder.query('lock table ballot in access exclusive mode')
      const handled = voter.post('/c/lobby/letters/handled', { references: refs[0]! })
      // The letter is deleted before the purge begins; the purge then waits for the ballots.
      const deadline = Date.now() + 30_000
      const waiting = async () => (await holder.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n as number
      while (Date.now() < deadline && (await waiting()) === 0) await new Promise((r) => setTimeout(r, 25))
      expect(await waiting()).toBe(1)
      expect(await board.count('letter', 'where reference = ?', refs[0]!)).toBe(0)
      // The purge fails: its backend is ended, as by an administrator or a lost connection.
      await holder.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
      const { res } = await handled
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/c/lobby/letters?handled=1')
      const inbox = await voter.get(res.headers.get('location')!)
      expect(inbox.res.status).toBe(200)
      expect(inbox.text).toContain('1 letter wait')
      expect(said.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/cellboard: the removal is done and every page that showed it was dropped, but forgetting it from the database’s files did not finish \(.*\)\. Run: npm run cellboard -- purge/)
      expect(await board.column('select reference from letter')).toEqual([refs[1]])
      // The next purge (the timer's) finishes it once the table is free: it rewrites, once.
      await holder.query('rollback')
      expect((await purge(board.deps)).checkpointAttempts).toBeGreaterThan(0)
      expect((await purge(board.deps)).checkpointAttempts).toBe(0)
      // Sent again, the form names the reference as unknown (kept in the field), and nothing else is touched.
      const again = await voter.post('/c/lobby/letters/handled', { references: refs[0]! })
      expect(again.res.status).toBe(422)
      expect(again.text).toContain(`No letter waits under ${refs[0]}`)
      expect(await board.column('select reference from letter')).toEqual([refs[1]])
    } finally {
      said.mockRestore()
      await holder.query('rollback').catch(() => {})
      await holder.end()
    }
  })
})
