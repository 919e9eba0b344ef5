import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompiledQuery, sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { migrateToLatest, openDatabase, openSqlite } from '../../src/db/connect.ts'
import { readThreadPosts } from '../../src/db/posts.ts'
import { findMarkers } from '../support/scan.ts'

// A thread page's posts read from one index on SQLite (issue 15, migrations/2026121101_post_page_index.ts):
// the posts of a thread side by side, not one table page each.

const dir = mkdtempSync(join(tmpdir(), 'cellboard-post-page-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const AT = '2026-12-05T21:00:00.000Z'

describe('SQLite: a thread page from the post_page index', () => {
  it('reads a page of posts from the index alone, and answers as the table does', async () => {
    const { db } = openDatabase(join(dir, 'a.db'))
    try {
      await migrateToLatest(db)
      const cell = await db.insertInto('cell').values({ slug: 'c', name: 'C', created_at: AT }).returning('id').executeTakeFirstOrThrow()
      const b = await db.insertInto('board').values({ cell_id: cell.id, slug: 'b', name: 'B', created_at: AT }).returning('id').executeTakeFirstOrThrow()
      await db.insertInto('public_key').values({ id: 1, fingerprint: 'f'.repeat(40), armored: 'key', created_at: AT }).execute()
      const t = await db.insertInto('thread').values({ board_id: b.id, number: 1, title: 't', created_at: AT, post_count: 3, last_number: 3, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()
      // Signed and not: the index keeps whether a signature is there, not the signature.
      for (const [n, signed] of [[1, true], [2, false], [3, true]] as const) {
        await db.insertInto('post').values({ thread_id: t.id, number: n, key_id: 1, signing: signed ? 'disposable' : 'session-attested', body_source: `b${n}`, body_html: `<p>b${n}</p>`, signed_text: signed ? `signed ${n}` : null, created_at: AT }).execute()
      }
      let asked: CompiledQuery | undefined
      const read = async <R,>(q: CompiledQuery<R>) => ((asked = q), (await db.executeQuery(q)).rows)
      const withIndex = await readThreadPosts(db, 'sqlite', b.id, 1, 50, 0, read)
      const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${asked!.sql}`, [...asked!.parameters]))).rows.map((r) => r.detail)
      expect(plan).toContain('SEARCH post USING COVERING INDEX post_page (thread_id=?)')
      expect(withIndex!.posts.map((p) => [p.number, p.signed, p.body_html])).toEqual([[1, true, '<p>b1</p>'], [2, false, '<p>b2</p>'], [3, true, '<p>b3</p>']])
      // The same answer from the table.
      await sql`drop index post_page`.execute(db)
      expect(await readThreadPosts(db, 'sqlite', b.id, 1, 50, 0)).toEqual(withIndex)
    } finally {
      await db.destroy()
    }
  })

  it('keeps no sample of the index (with a post’s HTML in it) past a restart, should someone run ANALYZE', async () => {
    const data = mkdtempSync(join(dir, 'stat4-'))
    const MARK = 'stat4-marker-7f3a9c'
    const { db } = openDatabase(join(data, 'cellboard.db'))
    await migrateToLatest(db)
    const cell = await db.insertInto('cell').values({ slug: 'c', name: 'C', created_at: AT }).returning('id').executeTakeFirstOrThrow()
    const b = await db.insertInto('board').values({ cell_id: cell.id, slug: 'b', name: 'B', created_at: AT }).returning('id').executeTakeFirstOrThrow()
    await db.insertInto('public_key').values({ id: 1, fingerprint: 'f'.repeat(40), armored: 'key', created_at: AT }).execute()
    const t = await db.insertInto('thread').values({ board_id: b.id, number: 1, title: 't', created_at: AT, post_count: 1, last_number: 1, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()
    await db.insertInto('post').values({ thread_id: t.id, number: 1, key_id: 1, signing: 'session-attested', body_source: 'x', body_html: `<p>${MARK}</p>`, signed_text: null, created_at: AT }).execute()
    await sql`analyze`.execute(db)
    // The post forgotten: its row and index entry go (secure_delete), the sample stays.
    await sql`delete from post`.execute(db)
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db)
    expect(findMarkers(data, [MARK])).toEqual({ [MARK]: ['cellboard.db'] })
    expect((await sql<{ n: number }>`select count(*) as n from sqlite_stat4 where idx = 'post_page'`.execute(db)).rows[0]!.n).toBeGreaterThan(0)
    await db.destroy()
    // Opened again, as a node starts: the samples are gone from the file.
    const again = openSqlite(join(data, 'cellboard.db'))
    try {
      expect(again.prepare('select count(*) as n from sqlite_stat4').get()).toEqual({ n: 0 })
      again.pragma('wal_checkpoint(TRUNCATE)')
      expect(findMarkers(data, [MARK])).toEqual({})
    } finally {
      again.close()
    }
  })
})
