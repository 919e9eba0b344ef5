import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'

// 2026120503: need-to-know tiers. A cell's tiers (member < voter), a roster entry's tier, a board's
// read and post tiers; existing rows keep their meaning, and down maps them back.
const open = migrationTest('tiers')

const AT = '2026-12-01T10:00:00.000Z'

describe('need-to-know tiers', () => {
  it('roles become tiers, a members board is read and posted to from member up, a public one by anyone; down maps back', async () => {
    const { db, migrator } = await open('2026120502_key_transitions')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    await db.insertInto('board').values([
      { cell_id: cell, slug: 'general', name: 'General', visibility: 'public', created_at: AT },
      { cell_id: cell, slug: 'inner', name: 'Inner', visibility: 'members', created_at: AT },
    ]).execute()
    const keys = await db.insertInto('public_key').values([
      { fingerprint: 'a'.repeat(40), armored: 'A', created_at: AT },
      { fingerprint: 'b'.repeat(40), armored: 'B', created_at: AT },
    ]).returning('id').execute()
    await db.insertInto('roster_entry').values([
      { cell_id: cell, key_id: keys[0]!.id, role: 'member', created_at: AT },
      { cell_id: cell, key_id: keys[1]!.id, role: 'voter', created_at: AT },
    ]).execute()

    const { error, results } = await migrator.migrateToLatest()
    expect(error).toBeUndefined()
    expect(results?.map((r) => r.migrationName)).toContain('2026120503_tiers')
    expect(await db.selectFrom('cell').select(['tiers', 'vote_tier', 'inbox_tier']).execute()).toEqual([{ tiers: 'member,voter', vote_tier: 'voter', inbox_tier: 'voter' }])
    expect(await db.selectFrom('board').select(['slug', 'read_tier', 'post_tier']).orderBy('id').execute()).toEqual([
      { slug: 'general', read_tier: null, post_tier: null },
      { slug: 'inner', read_tier: 'member', post_tier: 'member' },
    ])
    expect((await db.selectFrom('roster_entry').select('tier').orderBy('id').execute()).map((r) => r.tier)).toEqual(['member', 'voter'])
    const cols = async (table: string) => Object.keys((await db.selectFrom(table).selectAll().executeTakeFirstOrThrow()) as object)
    expect(await cols('board')).not.toContain('visibility')
    expect(await cols('roster_entry')).not.toContain('role')
    // A tier of the cell's own is no longer held back by the old roles' check.
    await db.updateTable('roster_entry').set({ tier: 'cadre' }).where('key_id', '=', keys[0]!.id).execute()

    // Down refuses a cell with tiers of its own, then maps today's two back.
    await db.updateTable('cell').set({ tiers: 'member,cadre,voter' }).execute()
    expect((await migrator.migrateTo('2026120502_key_transitions')).error).toBeDefined()
    await db.updateTable('cell').set({ tiers: 'member,voter' }).execute()
    await db.updateTable('roster_entry').set({ tier: 'member' }).where('key_id', '=', keys[0]!.id).execute()
    expect((await migrator.migrateTo('2026120502_key_transitions')).error).toBeUndefined()
    expect(await db.selectFrom('board').select(['slug', 'visibility']).orderBy('id').execute()).toEqual([
      { slug: 'general', visibility: 'public' },
      { slug: 'inner', visibility: 'members' },
    ])
    expect((await db.selectFrom('roster_entry').select('role').orderBy('id').execute()).map((r) => r.role)).toEqual(['member', 'voter'])
    expect(await cols('cell')).not.toContain('tiers')
  })
})
