import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Kysely, Migrator } from 'kysely'
import { afterEach } from 'vitest'
import { migrations } from '../../migrations/index.ts'
import { openStorage, type Storage } from '../../src/db/storage.ts'
import { makePgDatabase, TEST_DIALECT } from './app.ts'

/**
 * For a migration's test: `open(name)` makes a fresh database of the dialect under test, migrated
 * up to the migration `name` (the one before the migration under test), with a Migrator to go on;
 * it is closed and dropped after each test.
 */
export function migrationTest(label: string) {
  let storage: Storage | undefined
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await storage?.close()
    await cleanup?.()
    storage = cleanup = undefined
  })
  return async (upTo: string, opts: { poolSize?: number } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), `cellboard-${label}-`))
    const pgdb = TEST_DIALECT === 'postgres' ? await makePgDatabase() : null
    cleanup = async () => {
      await pgdb?.drop()
      rmSync(dir, { recursive: true, force: true })
    }
    storage = await openStorage({ databaseUrl: pgdb?.url ?? null, dataDir: dir, poolSize: opts.poolSize ?? 1 })
    const db = storage.db as unknown as Kysely<any>
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
    const { error } = await migrator.migrateTo(upTo)
    if (error) throw error
    return { db, migrator, storage }
  }
}
