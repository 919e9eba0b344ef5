import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { migrateToLatest, openDatabase } from '../../src/db/connect.ts'

const dir = mkdtempSync(join(tmpdir(), 'cellboard-connect-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the connection factory', () => {
  it('sets secure_delete, WAL, a busy timeout and foreign keys on every connection', async () => {
    const { db, sqlite } = openDatabase(join(dir, 'a.db'))
    expect(sqlite.pragma('secure_delete', { simple: true })).toBe(1)
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(5000)
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(2)
    await db.destroy()
  })

  it('keeps SQLite’s own 2 MB page cache, not the 16 MB better-sqlite3 is built with (memory that grew with the database)', async () => {
    const plain = new Database(join(dir, 'plain.db'))
    expect(plain.pragma('cache_size', { simple: true })).toBe(-16000)
    plain.close()
    const { db, sqlite } = openDatabase(join(dir, 'c.db'))
    expect(sqlite.pragma('cache_size', { simple: true })).toBe(-2000)
    await db.destroy()
  })

  it('starts write transactions IMMEDIATE: another writer is kept out from the first statement', async () => {
    const file = join(dir, 'b.db')
    const { db } = openDatabase(file)
    await migrateToLatest(db)
    const other = new Database(file)
    other.pragma('busy_timeout = 0')
    await db.transaction().execute(async (tx) => {
      await sql`select 1`.execute(tx) // no write yet: a deferred transaction would hold no lock here
      expect(() => other.prepare(`insert into cell (slug, name, created_at) values ('x', 'X', '2026')`).run()).toThrow(/database is locked|SQLITE_BUSY/)
    })
    // Once it commits, the other writer gets in.
    expect(other.prepare(`insert into cell (slug, name, created_at) values ('x', 'X', '2026')`).run().changes).toBe(1)
    other.close()
    await db.destroy()
  })
})
