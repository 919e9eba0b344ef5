import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Migrator, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { migrations } from '../../migrations/index.ts'
import { migrateAndForget, openStorage, type Storage } from '../../src/db/storage.ts'
import { findMarkers, findMarkersInDir } from '../support/scan.ts'
import { makePgDatabase, pgCheckpoint, pgDataDirectory, TEST_DIALECT } from '../support/app.ts'

// An upgrade whose migration drops content (2026113001: the revoked keys' armored copies) must
// leave none of it in the files: PostgreSQL's DROP COLUMN only hides a column until a rewrite.
let storage: Storage | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await storage?.close()
  await cleanup?.()
})

describe('upgrading past a migration that drops content', () => {
  it('the dropped revoked key copies were in the files before, and are in none after the start-up migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellboard-migrate-'))
    const pgdb = TEST_DIALECT === 'postgres' ? await makePgDatabase() : null
    cleanup = async () => {
      await pgdb?.drop()
      rmSync(dir, { recursive: true, force: true })
    }
    storage = await openStorage({ databaseUrl: pgdb?.url ?? null, dataDir: dir, poolSize: 2 })
    // The database as the previous release left it, with a revocation holding a whole key.
    const before = new Migrator({ db: storage.db, provider: { getMigrations: async () => migrations } })
    const r = await before.migrateTo('2026112204_no_statistics_on_content')
    expect(r.error).toBeUndefined()
    const marker = `REVOKEDUID${randomBytes(16).toString('hex')}`
    await sql`insert into revoked_key (fingerprint, revoked_armored, created_at) values (${'a'.repeat(40)}, ${`-----BEGIN PGP PUBLIC KEY BLOCK----- ${marker}`}, ${'2026-11-30T12:00:00.000Z'})`.execute(storage.db)
    const scan = async () => (pgdb ? findMarkersInDir(await pgDataDirectory(), [marker]) : findMarkers(dir, [marker]))
    if (pgdb) await pgCheckpoint()
    expect(Object.keys(await scan())).toEqual([marker])

    expect(await migrateAndForget(storage)).toContain('2026113001_revocations_keep_fingerprint')
    expect(await scan()).toEqual({})
    // Nothing more to apply on the next start, and nothing lost that should stay.
    expect(await migrateAndForget(storage)).toEqual([])
    expect((await sql<{ fingerprint: string }>`select fingerprint from revoked_key`.execute(storage.db)).rows).toEqual([{ fingerprint: 'a'.repeat(40) }])
  })
})
