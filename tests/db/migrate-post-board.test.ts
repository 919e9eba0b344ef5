import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'
import { TEST_DIALECT } from '../support/app.ts'

// 2026120603: on PostgreSQL each post carries its thread's board (for search), filled for the
// posts written before it and, by a trigger, for every post written after; on SQLite, nothing.
const open = migrationTest('post-board')
const AT = '2026-12-01T10:00:00.000Z'

describe("a post's board (PostgreSQL)", () => {
  it('posts written before and after it carry their thread’s board; down takes it away', async () => {
    const { db, migrator } = await open('2026120602_search_vector')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const board = async (slug: string) => (await db.insertInto('board').values({ cell_id: cell, slug, name: slug, read_tier: null, post_tier: null, created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const [a, b] = [await board('a'), await board('b')]
    const key = (await db.insertInto('public_key').values({ fingerprint: 'a'.repeat(40), armored: 'A', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const thread = async (boardId: number) => (await db.insertInto('thread').values({ board_id: boardId, number: 1, title: 'T', created_at: AT, last_post_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    const [ta, tb] = [await thread(a), await thread(b)]
    const post = (threadId: number, number: number) => db.insertInto('post').values({ thread_id: threadId, number, key_id: key, signing: 'session-attested', body_source: 'x', body_html: '', created_at: AT }).execute()
    await post(ta, 1)
    await post(tb, 1)

    expect((await migrator.migrateTo('2026120603_post_board')).error).toBeUndefined()
    const cols = async () => Object.keys((await db.selectFrom('post').selectAll().executeTakeFirstOrThrow()) as object)
    if (TEST_DIALECT !== 'postgres') {
      expect(await cols()).not.toContain('board_id')
      return
    }
    const boards = async () => (await sql<{ t: number; b: number }>`select thread_id as t, board_id as b from post order by id`.execute(db)).rows
    // Written before: filled by the migration.
    expect(await boards()).toEqual([{ t: ta, b: a }, { t: tb, b: b }])
    // Written after, by code that knows nothing of the column: the trigger fills it.
    await post(tb, 2)
    await post(ta, 2)
    expect((await boards()).slice(2)).toEqual([{ t: tb, b: b }, { t: ta, b: a }])
    // It cannot be left empty.
    const notNull = (await sql<{ n: boolean }>`select attnotnull as n from pg_attribute where attrelid = 'post'::regclass and attname = 'board_id'`.execute(db)).rows[0]
    expect(notNull).toEqual({ n: true })

    expect((await migrator.migrateTo('2026120602_search_vector')).error).toBeUndefined()
    expect(await cols()).not.toContain('board_id')
    await post(ta, 3) // and the trigger went with it
    expect((await sql<{ n: number }>`select count(*)::int as n from pg_proc where proname = 'post_board'`.execute(db)).rows[0]).toEqual({ n: 0 })
  })
})
