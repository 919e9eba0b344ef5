import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_NAMED_STATEMENTS, openPostgres, type Db } from '../../src/db/connect.ts'
import { makePgDatabase } from '../support/app.ts'

// db/connect.ts names every statement that has parameters, so PostgreSQL parses and plans it once
// per connection. One connection here (max 1), so what it prepared can be read on it.
let database: Awaited<ReturnType<typeof makePgDatabase>>
let db: Db
let pool: pg.Pool
beforeAll(async () => {
  database = await makePgDatabase()
  ;({ db, pool } = openPostgres(database.url, 1))
  await sql`create table t (id int primary key, a text)`.execute(db)
  await sql`insert into t values (1, 'one'), (2, 'two')`.execute(db)
})
afterAll(async () => {
  await db?.destroy()
  await database?.drop()
})

const prepared = async () => (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements where ${1} = 1`.execute(db)).rows

describe('statements with parameters on PostgreSQL', () => {
  it('are prepared once per connection and answered from it again', async () => {
    const read = (id: number) => sql<{ a: string }>`select a from t where id = ${id}`.execute(db)
    expect((await read(1)).rows).toEqual([{ a: 'one' }])
    expect((await read(2)).rows).toEqual([{ a: 'two' }])
    const mine = (await prepared()).filter((p) => p.statement === 'select a from t where id = $1')
    expect(mine).toHaveLength(1)
    expect(mine[0]!.name).toMatch(/^cb\d+$/)
  })

  it('leaves statements without parameters unnamed, so several still go at once', async () => {
    await sql`update t set a = 'uno' where id = 1; update t set a = 'dos' where id = 2`.execute(db)
    expect((await sql<{ a: string }>`select a from t order by id`.execute(db)).rows).toEqual([{ a: 'uno' }, { a: 'dos' }])
    expect((await prepared()).some((p) => p.statement.startsWith('update t set'))).toBe(false)
  })

  it('keeps answering when a table changes shape under a prepared statement', async () => {
    const all = () => sql<Record<string, unknown>>`select * from t where id = ${1}`.execute(db)
    expect((await all()).rows).toEqual([{ id: 1, a: 'uno' }])
    // Another connection (another node's migration) adds a column.
    const other = new pg.Client({ connectionString: database.url })
    await other.connect()
    await other.query('alter table t add column b int default 7')
    await other.end()
    expect((await all()).rows).toEqual([{ id: 1, a: 'uno', b: 7 }])
    expect((await all()).rows).toEqual([{ id: 1, a: 'uno', b: 7 }])
  })

  it('names at most a bounded number of distinct texts, and answers the rest unnamed', async () => {
    // A fresh pool: the connection above stopped naming when its plan went stale.
    await db.destroy()
    ;({ db, pool } = openPostgres(database.url, 1))
    for (let n = 1; n <= MAX_NAMED_STATEMENTS + 20; n++) {
      const r = await sql<{ n: number }>`select ${sql.lit(n)}::int + ${0}::int as n`.execute(db)
      expect(r.rows[0]!.n).toBe(n)
    }
    const count = (await prepared()).length
    expect(count).toBeGreaterThan(0)
    expect(count).toBeLessThanOrEqual(MAX_NAMED_STATEMENTS)
    expect(pool.totalCount).toBe(1)
  })
})
