import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'

// 2026120702: board.indexable, 0 (not indexed) for every board that existed before it.
const open = migrationTest('board-indexable')
const AT = '2026-12-01T10:00:00.000Z'

describe('board indexable (migration)', () => {
  it('boards made before it ask not to be indexed; only 0 and 1 are taken; down drops the column', async () => {
    const { db, migrator } = await open('2026120602_search_vector')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    await db.insertInto('board').values({ cell_id: cell, slug: 'general', name: 'General', read_tier: null, post_tier: null, created_at: AT }).execute()

    expect((await migrator.migrateTo('2026120702_board_indexable')).error).toBeUndefined()
    expect(await db.selectFrom('board').select('indexable').execute()).toEqual([{ indexable: 0 }])
    await db.updateTable('board').set({ indexable: 1 }).execute()
    await expect(db.updateTable('board').set({ indexable: 2 }).execute()).rejects.toThrow()

    expect((await migrator.migrateTo('2026120602_search_vector')).error).toBeUndefined()
    expect(Object.keys(await db.selectFrom('board').selectAll().executeTakeFirstOrThrow())).not.toContain('indexable')
  })
})
