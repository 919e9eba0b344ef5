import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrateToLatest, openDatabase, type Db } from '../../src/db/connect.ts'
import { groupCommit } from '../../src/db/group-commit.ts'
import { DomainError } from '../../src/domain/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'cellboard-group-commit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Every commit this connection sends, counted where better-sqlite3 runs it.
let commits = 0
const statement = Object.getPrototypeOf(new Database(':memory:').prepare('select 1')) as { run: (...a: unknown[]) => unknown }
const run = statement.run
beforeEach(() => {
  commits = 0
  statement.run = function (this: { source: string }, ...a: unknown[]) {
    if (this.source === 'commit') commits++
    return run.apply(this, a)
  }
})
afterEach(() => {
  statement.run = run
})

async function openBoard(name: string) {
  const { db, sqlite } = openDatabase(join(dir, name))
  await migrateToLatest(db)
  commits = 0 // the migrations' own
  return { db, sqlite }
}
const addKey = (tx: Db, n: number) => tx.insertInto('public_key').values({ fingerprint: `fpr${n}`, armored: `key ${n}`, created_at: '2026-12-03T08:00:00.000Z' }).execute()

describe('SQLite group commit (issue 15: one fsync for the posts that arrive together)', () => {
  it('ten writes sent at once are committed together, once, and each gets its own answer after the commit', async () => {
    const { db } = await openBoard('a.db')
    const write = groupCommit(db)
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => write(async (tx) => (await addKey(tx, i), i))))
    expect(answers).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(commits).toBe(1)
    expect(Number((await db.selectFrom('public_key').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(10)
    await db.destroy()
  })

  it('a write that fails is rolled back alone: its error comes back to it, and the others of its commit are kept', async () => {
    const { db } = await openBoard('b.db')
    const write = groupCommit(db)
    const results = await Promise.allSettled([
      write((tx) => addKey(tx, 1)),
      write(async (tx) => {
        await addKey(tx, 2)
        throw new DomainError(422, 'refused after writing')
      }),
      write((tx) => addKey(tx, 1)), // the unique fingerprint again: a constraint error
      write((tx) => addKey(tx, 3)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(DomainError)
    expect(commits).toBe(1)
    expect((await db.selectFrom('public_key').select('fingerprint').orderBy('fingerprint').execute()).map((r) => r.fingerprint)).toEqual(['fpr1', 'fpr3'])
    await db.destroy()
  })

  it('writes that come while a commit runs go in the next one; nothing is answered before its commit', async () => {
    const { db } = await openBoard('c.db')
    const write = groupCommit(db)
    // Another connection sees only what is committed.
    const reader = new Database(join(dir, 'c.db'), { readonly: true })
    const committed = () => (reader.prepare('select count(*) as n from public_key').get() as { n: number }).n
    let later: Promise<number> | undefined
    const first = write(async (tx) => {
      await addKey(tx, 1)
      // Sent while the first commit is open: it waits for the next.
      later = write(async (tx2) => (await addKey(tx2, 2), committed()))
    })
    await first
    expect(committed()).toBe(1)
    expect(await later).toBe(1) // while it ran, the first was committed already
    expect(committed()).toBe(2)
    expect(commits).toBe(2)
    reader.close()
    await db.destroy()
  })
})
