import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Kysely, Migrator } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { migrations } from '../../migrations/index.ts'
import { openStorage, type Storage } from '../../src/db/storage.ts'
import { makePgDatabase, TEST_DIALECT } from '../support/app.ts'

// 2026120401: flood mode's settings, a board's flood (auto, on, off) and a cell's roster exemption.
let storage: Storage | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await storage?.close()
  await cleanup?.()
})

const AT = '2026-12-01T10:00:00.000Z'

describe('flood mode’s settings', () => {
  it('existing boards get auto and existing cells exempt their roster; other values are refused; down removes both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellboard-flood-'))
    const pgdb = TEST_DIALECT === 'postgres' ? await makePgDatabase() : null
    cleanup = async () => {
      await pgdb?.drop()
      rmSync(dir, { recursive: true, force: true })
    }
    storage = await openStorage({ databaseUrl: pgdb?.url ?? null, dataDir: dir, poolSize: 1 })
    const db = storage.db as unknown as Kysely<any>
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
    expect((await migrator.migrateTo('2026120301_question_kinds_in_code')).error).toBeUndefined()
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
