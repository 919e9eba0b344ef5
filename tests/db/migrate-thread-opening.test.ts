import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { TEST_DIALECT } from '../support/app.ts'
import { migrationTest } from '../support/migrations.ts'

// 2026121301: each thread's row keeps the start of its post 1's HTML (1,501 characters), filled for
// the threads already there, and kept by triggers on every path that writes or deletes a post 1;
// the board's thread count still follows deleted threads (on PostgreSQL now row by row).
const open = migrationTest('thread-opening')
const AT = '2026-12-01T10:00:00.000Z'

describe('the opening post’s start in the thread row', () => {
  it('is filled for existing threads, written with a new post 1, rewritten with its HTML, emptied when it goes; down goes back', async () => {
    const { db, migrator } = await open('2026121201_search_by_board')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const board = (await db.insertInto('board').values({ cell_id: cell, slug: 'general', name: 'General', read_tier: null, post_tier: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const key = (await db.insertInto('public_key').values({ fingerprint: 'a'.repeat(40), armored: 'A', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const thread = async (number: number, first: string | null, replies: string[] = []) => {
      const id = (await db.insertInto('thread').values({ board_id: board, number, title: `T${number}`, created_at: AT, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()).id
      const bodies = [...(first === null ? [] : [[1, first] as const]), ...replies.map((b, i) => [i + 2, b] as const)]
      for (const [n, html] of bodies) await db.insertInto('post').values({ thread_id: id, number: n, key_id: key, signing: 'session-attested', body_source: html, body_html: html, created_at: AT }).execute()
      return id
    }
    const long = `<p>${'é'.repeat(2000)}</p>` // characters, not bytes: 'é' is two bytes in UTF-8
    const before = [await thread(1, '<p>short opening</p>', ['<p>a reply</p>']), await thread(2, long), await thread(3, null, ['<p>post 1 was removed</p>'])]
    const opening = async (id: number) => (await db.selectFrom('thread').select('opening').where('id', '=', id).executeTakeFirstOrThrow()).opening as string | null

    expect((await migrator.migrateTo('2026121301_thread_opening')).error).toBeUndefined()
    expect(await opening(before[0]!)).toBe('<p>short opening</p>')
    expect(await opening(before[1]!)).toBe(long.slice(0, 1501))
    expect(await opening(before[2]!)).toBeNull()

    // A new thread: post 1 writes it, a reply does not touch it.
    const fresh = await thread(4, '<p>new opening</p>', ['<p>new reply</p>'])
    expect(await opening(fresh)).toBe('<p>new opening</p>')
    // Post 1's HTML rendered again (a reference to a removed post): the copy follows; a reply's does not touch it.
    await db.updateTable('post').set({ body_html: '<p>new opening, rendered again</p>' }).where('thread_id', '=', fresh).where('number', '=', 1).execute()
    await db.updateTable('post').set({ body_html: '<p>reply, rendered again</p>' }).where('thread_id', '=', fresh).where('number', '=', 2).execute()
    expect(await opening(fresh)).toBe('<p>new opening, rendered again</p>')
    // Post 1 removed: nothing of it stays in the row; removing a reply leaves another thread's alone.
    await db.deleteFrom('post').where('thread_id', '=', fresh).where('number', '=', 1).execute()
    await db.deleteFrom('post').where('thread_id', '=', before[0]!).where('number', '=', 2).execute()
    expect(await opening(fresh)).toBeNull()
    expect(await opening(before[0]!)).toBe('<p>short opening</p>')

    // On PostgreSQL, no statistics on the copy: an ANALYZE samples none of its words.
    if (TEST_DIALECT === 'postgres') {
      await sql`analyze thread`.execute(db)
      expect((await sql<{ c: string }>`select attname as c from pg_stats where schemaname = current_schema() and tablename = 'thread' and attname in ('title', 'opening')`.execute(db)).rows).toEqual([])
      expect((await sql<{ c: string }>`select attname as c from pg_stats where schemaname = current_schema() and tablename = 'thread' and attname = 'number'`.execute(db)).rows).toEqual([{ c: 'number' }])
    }
    // Threads deleted (the purge's one statement, posts by cascade): the board's count follows.
    const count = async () => Number((await db.selectFrom('board').select('thread_count').where('id', '=', board).executeTakeFirstOrThrow()).thread_count)
    expect(await count()).toBe(4)
    await db.deleteFrom('thread').where('id', 'in', [before[1]!, fresh]).execute()
    expect(await count()).toBe(2)

    expect((await migrator.migrateTo('2026121201_search_by_board')).error).toBeUndefined()
    const columns = (await db.introspection.getTables()).find((t) => t.name === 'thread')!.columns.map((c) => c.name)
    expect(columns).not.toContain('opening')
    await thread(5, '<p>after down</p>')
    await db.deleteFrom('thread').where('id', '=', before[2]!).execute()
    expect(await count()).toBe(2)
    // Nothing of the triggers is left.
    const left = (await sql<{ n: string }>`select 1 as n from ${sql.raw(TEST_DIALECT === 'postgres' ? "pg_trigger where tgname like 'thread_opening%'" : "sqlite_master where name like 'thread_opening%'")}`.execute(db)).rows
    expect(left).toEqual([])
  })
})
