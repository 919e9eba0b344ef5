import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'
import { TEST_DIALECT } from '../support/app.ts'

// 2026120602: on PostgreSQL, the words of each post and title stored beside them (generated,
// position-free, no statistics) with the GIN indexes moved onto them; on SQLite, nothing.
const open = migrationTest('search-vector')
const AT = '2026-12-01T10:00:00.000Z'

describe('stored search words (PostgreSQL)', () => {
  it('posts and titles written before it are searchable through the new columns; a later edit changes them; down goes back', async () => {
    const { db, migrator } = await open('2026120601_search')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const board = (await db.insertInto('board').values({ cell_id: cell, slug: 'general', name: 'General', read_tier: null, post_tier: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const key = (await db.insertInto('public_key').values({ fingerprint: 'a'.repeat(40), armored: 'A', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const thread = (await db.insertInto('thread').values({ board_id: board, number: 1, title: 'Harbour Meeting', created_at: AT, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    await db.insertInto('post').values({ thread_id: thread, number: 1, key_id: key, signing: 'session-attested', body_source: 'Bring the Lanterns, bring the lanterns', body_html: '', created_at: AT }).execute()

    const { error } = await migrator.migrateTo('2026120602_search_vector')
    expect(error).toBeUndefined()
    const cols = async (table: string) => Object.keys((await db.selectFrom(table).selectAll().executeTakeFirstOrThrow()) as object)
    if (TEST_DIALECT !== 'postgres') {
      // Nothing on SQLite: FTS5 (2026120601) stays the index.
      expect(await cols('post')).not.toContain('body_vector')
      expect(await cols('thread')).not.toContain('title_vector')
      return
    }
    const vectors = async () => (await sql<{ b: string; t: string }>`select p.body_vector::text as b, t.title_vector::text as t from post p join thread t on t.id = p.thread_id`.execute(db)).rows[0]
    // Folded, each word once, no positions.
    expect(await vectors()).toEqual({ b: "'bring' 'lanterns' 'the'", t: "'harbour' 'meeting'" })
    const indexes = (await sql<{ d: string }>`select indexdef as d from pg_indexes where indexname in ('post_body_search', 'thread_title_search') order by indexname`.execute(db)).rows.map((r) => r.d)
    expect(indexes).toEqual([expect.stringContaining('gin (body_vector)'), expect.stringContaining('gin (title_vector)')])
    const stats = (await sql<{ a: string; s: number }>`select attname as a, attstattarget as s from pg_attribute where attrelid in ('post'::regclass, 'thread'::regclass) and attname in ('body_vector', 'title_vector') order by attname`.execute(db)).rows
    expect(stats).toEqual([{ a: 'body_vector', s: 0 }, { a: 'title_vector', s: 0 }])
    await db.updateTable('post').set({ body_source: 'forgotten' }).execute()
    expect((await vectors())!.b).toBe("'forgotten'")

    expect((await migrator.migrateTo('2026120601_search')).error).toBeUndefined()
    expect(await cols('post')).not.toContain('body_vector')
    const back = (await sql<{ d: string }>`select indexdef as d from pg_indexes where indexname = 'post_body_search'`.execute(db)).rows[0]!.d
    expect(back).toContain("to_tsvector('simple'::regconfig, body_source)")
  })
})
