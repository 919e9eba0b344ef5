import { availableParallelism, tmpdir } from 'node:os'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/db/storage.ts'
import { makePgDatabase } from '../support/app.ts'

// On PostgreSQL the reads that build a page missed by the cache go through a pool of their own,
// bounded by PG_READ_CONNECTIONS (db/storage.ts says why: ten such reads at once on two cores cost
// PostgreSQL more than twice the CPU a page). What is checked here: that bound, that those reads
// are not the writes' connections, and that a read sees a write committed just before it.

let database: Awaited<ReturnType<typeof makePgDatabase>>
let storage: Storage
beforeAll(async () => {
  database = await makePgDatabase()
  storage = await openStorage({ databaseUrl: database.url, dataDir: tmpdir(), poolSize: 4, readConnections: 1 })
  await sql`create table t (id int primary key, a text)`.execute(storage.db)
})
afterAll(async () => {
  await storage?.close()
  await database?.drop()
})

const backendOf = (rows: { pid: number }[]) => rows[0]!.pid

describe('the read pool (PostgreSQL)', () => {
  it('runs page reads on at most PG_READ_CONNECTIONS connections, none of them the writes\'', async () => {
    expect(storage.readRows).not.toBeNull()
    // Five reads at once, each holding its connection a moment: with one connection, one backend.
    const slow = sql<{ pid: number }>`select pg_backend_pid() as pid from pg_sleep(${0.05})`.compile(storage.db)
    const started = performance.now()
    const pids = await Promise.all(Array.from({ length: 5 }, () => storage.readRows!(slow).then(backendOf)))
    expect(new Set(pids).size).toBe(1)
    // One after another: 5 × 50 ms at least.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240)
    // The writes' pool answers on other backends, also while a page read holds its connection.
    const held = storage.readRows!(slow)
    const writes = await Promise.all(Array.from({ length: 3 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid from pg_sleep(${0.05})`.execute(storage.db).then((r) => backendOf(r.rows))))
    await held
    expect(writes.some((pid) => pid === pids[0])).toBe(false)
  })

  it('sees what was committed just before it', async () => {
    const read = (id: number) => storage.readRows!(sql<{ a: string }>`select a from t where id = ${id}`.compile(storage.db))
    for (let id = 1; id <= 20; id++) {
      await sql`insert into t values (${id}, ${`row ${id}`})`.execute(storage.db)
      expect(await read(id)).toEqual([{ a: `row ${id}` }])
    }
    await storage.db.transaction().execute(async (tx) => {
      await sql`update t set a = 'changed' where id = 1`.execute(tx)
      // Not yet committed: a page read does not see it.
      expect(await read(1)).toEqual([{ a: 'row 1' }])
    })
    expect(await read(1)).toEqual([{ a: 'changed' }])
  })
})

describe('PG_READ_CONNECTIONS', () => {
  it('is as many as the machine has CPUs (at most 10) unless set, and refuses what is no count of connections', () => {
    expect(loadConfig({}).pgReadConnections).toBe(Math.min(availableParallelism(), 10))
    expect(loadConfig({ PG_READ_CONNECTIONS: '3' }).pgReadConnections).toBe(3)
    for (const bad of ['0', '-1', '2.5', 'many', '101']) expect(() => loadConfig({ PG_READ_CONNECTIONS: bad })).toThrow(/PG_READ_CONNECTIONS/)
  })
})
