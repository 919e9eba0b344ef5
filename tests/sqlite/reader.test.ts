import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { migrateToLatest, openDatabase, type Db } from '../../src/db/connect.ts'
import { listThreads } from '../../src/db/threads.ts'
import { readThreadPosts } from '../../src/db/posts.ts'
import { openReader } from '../../src/db/sqlite-reader.ts'
import { openStorage } from '../../src/db/storage.ts'

// The SQLite reader (issue 15): a page's SELECT run by a read-only connection in a worker thread.
// A real migrated file, a real thread.

const dir = mkdtempSync(join(tmpdir(), 'cellboard-reader-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const AT = '2026-12-05T17:00:00.000Z'

async function board(name: string) {
  const file = join(dir, name)
  const { db } = openDatabase(file)
  await migrateToLatest(db)
  const cell = await db.insertInto('cell').values({ slug: 'c', name: 'C', created_at: AT }).returning('id').executeTakeFirstOrThrow()
  const b = await db.insertInto('board').values({ cell_id: cell.id, slug: 'b', name: 'B', created_at: AT }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('public_key').values({ id: 1, fingerprint: 'f'.repeat(40), armored: 'key', created_at: AT }).execute()
  return { file, db, boardId: b.id }
}

async function thread(db: Db, boardId: number, number: number, bodies: string[]) {
  const t = await db.insertInto('thread').values({ board_id: boardId, number, title: `t${number}`, created_at: AT, post_count: 0, last_number: 0, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()
  for (const [i, body] of bodies.entries()) {
    const p = await db.insertInto('post').values({ thread_id: t.id, number: i + 1, key_id: 1, signing: 'session-attested', body_source: body, body_html: `<p>${body}</p>`, signed_text: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()
    await db.updateTable('thread').set({ post_count: i + 1, last_number: i + 1, last_post_id: p.id }).where('id', '=', t.id).execute()
  }
  return t.id
}

describe('SQLite: pages read in a thread of their own (issue 15)', () => {
  it('reads what the loop connection reads, and a commit made just before the read is in it', async () => {
    const { file, db, boardId } = await board('a.db')
    const reader = openReader(file)
    try {
      const id = await thread(db, boardId, 1, ['first words', 'second words'])
      const onLoop = await readThreadPosts(db, 'sqlite', boardId, 1, 50, 0)
      const inThread = await readThreadPosts(db, 'sqlite', boardId, 1, 50, 0, reader.read)
      expect(inThread).toEqual(onLoop)
      expect(inThread!.posts.map((p) => p.body_html)).toEqual(['<p>first words</p>', '<p>second words</p>'])
      // A reply committed, and at once read again: the reader holds no snapshot between reads.
      const p = await db.insertInto('post').values({ thread_id: id, number: 3, key_id: 1, signing: 'session-attested', body_source: 'third', body_html: '<p>third</p>', signed_text: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()
      await db.updateTable('thread').set({ post_count: 3, last_number: 3, last_post_id: p.id }).where('id', '=', id).execute()
      expect((await readThreadPosts(db, 'sqlite', boardId, 1, 50, 0, reader.read))!.posts.map((x) => x.number)).toEqual([1, 2, 3])
      // And one deleted (forgotten) is gone from the next read as at once.
      await db.deleteFrom('post').where('id', '=', p.id).execute()
      expect((await readThreadPosts(db, 'sqlite', boardId, 1, 50, 0, reader.read))!.posts.map((x) => x.body_html)).not.toContain('<p>third</p>')
      const list = await listThreads(db, boardId, 50, 0, reader.read)
      expect(list).toEqual(await listThreads(db, boardId, 50, 0))
      expect(list.threads.map((t) => t.title)).toEqual(['t1'])
    } finally {
      await reader.close()
      await db.destroy()
    }
  })

  it('runs off the event loop: timers fire while a long read runs', async () => {
    const { file, db } = await board('b.db')
    const reader = openReader(file)
    try {
      await reader.read(sql`select 1 as one`.compile(db)) // the thread started
      let ticks = 0
      const timer = setInterval(() => ticks++, 5)
      const t0 = performance.now()
      // About half a second of work inside SQLite.
      const [row] = await reader.read(sql<{ n: number }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) as n from c`.compile(db))
      const ms = performance.now() - t0
      clearInterval(timer)
      expect(row!.n).toBe(3_000_000)
      // On the loop's connection no timer could fire until it returned.
      expect(ms).toBeGreaterThan(50)
      expect(ticks).toBeGreaterThan(ms / 5 / 4)
    } finally {
      await reader.close()
      await db.destroy()
    }
  })

  it('a statement that fails fails alone; a thread that ends fails its waiting reads, and the next read starts another', async () => {
    const { file, db } = await board('c.db')
    const reader = openReader(file)
    try {
      await expect(reader.read(sql`select * from no_such_table`.compile(db))).rejects.toThrow(/no such table/)
      // Read-only: a write sent this way is refused, and nothing is written.
      await expect(reader.read(sql`insert into public_key (fingerprint, armored, created_at) values ('x', 'y', 'z') returning id`.compile(db))).rejects.toThrow(/readonly/)
      expect((await db.selectFrom('public_key').select('fingerprint').execute()).length).toBe(1)
      expect(await reader.read(sql<{ one: number }>`select 1 as one`.compile(db))).toEqual([{ one: 1 }])
      // The thread ends under a read (as if it crashed): that read fails, the next one is answered.
      const post = Worker.prototype.postMessage
      let asked: Worker | undefined
      Worker.prototype.postMessage = function (this: Worker, ...a: Parameters<Worker['postMessage']>) {
        asked = this
        return post.apply(this, a)
      }
      let long: Promise<unknown>
      try {
        // A second or two of SQLite: still running when the thread is ended (terminate() takes effect once it returns).
        long = reader.read(sql`with recursive c(x) as (select 1 union all select x + 1 from c where x < 10000000) select count(*) from c`.compile(db))
      } finally {
        Worker.prototype.postMessage = post
      }
      const failed = expect(long).rejects.toThrow(/reader thread ended/)
      await new Promise((r) => setTimeout(r, 50))
      await asked!.terminate()
      await failed
      expect(await reader.read(sql<{ two: number }>`select 2 as two`.compile(db))).toEqual([{ two: 2 }])
    } finally {
      await reader.close()
      await db.destroy()
    }
  })

  it('a thread that cannot open the file fails the reads of the next second at once; a parameter that cannot be copied fails alone', async () => {
    const { file, db } = await board('f.db')
    const missing = openReader(join(dir, 'no-such.db'))
    const post = Worker.prototype.postMessage
    let posted = 0
    Worker.prototype.postMessage = function (this: Worker, ...a: Parameters<Worker['postMessage']>) {
      posted++
      return post.apply(this, a)
    }
    try {
      await expect(missing.read(sql`select 1`.compile(db))).rejects.toThrow()
      expect(posted).toBe(1)
      // Within the second: refused here, no thread started, nothing sent.
      await expect(missing.read(sql`select 1`.compile(db))).rejects.toThrow()
      expect(posted).toBe(1)
      await new Promise((r) => setTimeout(r, 1100))
      await expect(missing.read(sql`select 1`.compile(db))).rejects.toThrow()
      expect(posted).toBe(2)
    } finally {
      Worker.prototype.postMessage = post
      await missing.close()
    }
    const reader = openReader(file)
    try {
      const odd = { sql: 'select ? as x', parameters: [() => 1], query: sql`select 1`.compile(db).query, queryId: sql`select 1`.compile(db).queryId } as unknown as Parameters<typeof reader.read>[0]
      await expect(reader.read(odd)).rejects.toThrow(/could not be cloned/)
      expect(await reader.read(sql<{ x: number }>`select ${3} as x`.compile(db))).toEqual([{ x: 3 }])
    } finally {
      await reader.close()
      await db.destroy()
    }
  })

  it('closing fails the reads waiting and refuses new ones; the storage closes its reader', async () => {
    const { file, db } = await board('d.db')
    const reader = openReader(file)
    const waiting = reader.read(sql`with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) from c`.compile(db))
    const failed = expect(waiting).rejects.toThrow(/closed/)
    await new Promise((r) => setTimeout(r, 20))
    await reader.close()
    await failed
    await expect(reader.read(sql`select 1`.compile(db))).rejects.toThrow(/closed/)
    await db.destroy()
    const storage = await openStorage({ databaseUrl: null, dataDir: join(dir, 'e') })
    await migrateToLatest(storage.db)
    expect(await storage.readRows!(sql<{ one: number }>`select 1 as one`.compile(storage.db))).toEqual([{ one: 1 }])
    await storage.close()
    await expect(storage.readRows!(sql`select 1`.compile(storage.db))).rejects.toThrow(/closed/)
  })
})
