import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'

// 2026120401: flood mode's settings, a board's flood (auto, on, off) and a cell's roster exemption.
const open = migrationTest('flood')

const AT = '2026-12-01T10:00:00.000Z'

describe('flood mode’s settings', () => {
  it('existing boards get auto and existing cells exempt their roster; other values are refused; down removes both', async () => {
    const { db, migrator } = await open('2026120301_question_kinds_in_code')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    await db.insertInto('board').values({ cell_id: cell, slug: 'general', name: 'General', visibility: 'public', created_at: AT }).execute()

    const { error, results } = await migrator.migrateToLatest()
    expect(error).toBeUndefined()
    expect(results?.map((r) => r.migrationName)).toContain('2026120401_flood')
    expect(await db.selectFrom('board').select('flood').execute()).toEqual([{ flood: 'auto' }])
    expect(await db.selectFrom('cell').select('flood_exempt_roster').execute()).toEqual([{ flood_exempt_roster: 1 }])
    await db.updateTable('board').set({ flood: 'on' }).execute()
    await expect(db.updateTable('board').set({ flood: 'always' }).execute()).rejects.toThrow(/check/i)
    await expect(db.updateTable('cell').set({ flood_exempt_roster: 2 }).execute()).rejects.toThrow(/check/i)

    expect((await migrator.migrateTo('2026120301_question_kinds_in_code')).error).toBeUndefined()
    const cols = async (table: string) => Object.keys((await db.selectFrom(table).selectAll().executeTakeFirstOrThrow()) as object)
    expect(await cols('board')).not.toContain('flood')
    expect(await cols('cell')).not.toContain('flood_exempt_roster')
  })
})
