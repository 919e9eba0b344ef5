import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'
import { TEST_DIALECT } from '../support/app.ts'

// 2026121201: on PostgreSQL the search's GIN indexes take the board (btree_gin), so a search of a
// few boards is narrowed inside the index: the plan for a word on one board says so. On SQLite,
// nothing (FTS5 stays, looked through a bounded number of matches).
const open = migrationTest('search-by-board')
const AT = '2026-12-01T10:00:00.000Z'

describe('search indexes by board (PostgreSQL)', () => {
  it('the indexes hold the board; a one-board search for a word in every post of another board asks the index for both; down goes back', async () => {
    const { db, migrator } = await open('2026121101_post_page_index')
    const indexes = async () => (await sql<{ d: string }>`select indexdef as d from pg_indexes where indexname in ('post_body_search', 'thread_title_search') order by indexname`.execute(db)).rows.map((r) => r.d)
    if (TEST_DIALECT !== 'postgres') {
      expect((await migrator.migrateTo('2026121201_search_by_board')).error).toBeUndefined()
      expect((await sql<{ n: string }>`select name as n from sqlite_master where name = 'post_body_search'`.execute(db)).rows).toEqual([{ n: 'post_body_search' }])
      return
    }
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const [busy, quiet] = await Promise.all(['busy', 'quiet'].map(async (slug) => (await db.insertInto('board').values({ cell_id: cell, slug, name: slug, read_tier: null, post_tier: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()).id))
    const key = (await db.insertInto('public_key').values({ fingerprint: 'a'.repeat(40), armored: 'A', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    for (const [board, n] of [[busy!, 2000], [quiet!, 1]] as const) {
      const thread = (await db.insertInto('thread').values({ board_id: board, number: 1, title: 'Harbour Meeting', created_at: AT, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()).id
      await db.insertInto('post').values(Array.from({ length: n }, (_, i) => ({ thread_id: thread, number: i + 1, key_id: key, signing: 'session-attested' as const, body_source: `common word ${i}`, body_html: '', created_at: AT }))).execute()
    }
    await sql`analyze post`.execute(db)
    // What db/search-postgres.ts's index path asks: the quiet board's posts with the word.
    const plan = async () => (await sql<{ 'QUERY PLAN': string }>`explain select p.id from post p where p.body_vector @@ plainto_tsquery('simple', 'common') and p.board_id in (${quiet}) order by p.id + 0 desc limit 21`.execute(db)).rows.map((r) => r['QUERY PLAN']).join('\n')
    await sql`set enable_seqscan = off`.execute(db) // 2,001 rows: the planner would rather read them all
    expect(await plan()).toMatch(/Index Cond: \(body_vector @@/)
    expect(await plan()).not.toMatch(/Index Cond: .*board_id/)

    expect((await migrator.migrateTo('2026121201_search_by_board')).error).toBeUndefined()
    expect(await indexes()).toEqual([expect.stringContaining('gin (board_id, body_vector)'), expect.stringContaining('gin (board_id, title_vector)')])
    expect(await plan()).toMatch(/Index Cond: \(\(board_id = \S+\) AND \(body_vector @@/)

    expect((await migrator.migrateTo('2026121101_post_page_index')).error).toBeUndefined()
    expect(await indexes()).toEqual([expect.stringContaining('gin (body_vector)'), expect.stringContaining('gin (title_vector)')])
  })
})
