import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { TEST_DIALECT } from '../support/app.ts'
import { migrationTest } from '../support/migrations.ts'

// 2026121302: on PostgreSQL an ANALYZE of `letter` had copied sample references (and any short
// ciphertext) into pg_statistic, where they outlived the letters. The migration removes the samples
// already taken and takes no more. SQLite keeps no samples: nothing to do there.
const open = migrationTest('no-statistics-on-letters')
const AT = '2026-12-01T10:00:00.000Z'

describe('no statistics on letters (PostgreSQL)', () => {
  it('the samples an ANALYZE took are gone, and another ANALYZE takes none; the letters are untouched', async () => {
    const { db, migrator } = await open('2026121301_thread_opening')
    if (TEST_DIALECT !== 'postgres') {
      expect((await migrator.migrateTo('2026121302_no_statistics_on_letters')).error).toBeUndefined()
      return
    }
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT }).returning('id').executeTakeFirstOrThrow()).id
    // The same reference shape many times over: common enough to be sampled as a most common value.
    const letters = Array.from({ length: 200 }, (_, i) => ({ cell_id: cell, reference: `REFMARK${i % 4}`.padEnd(12, 'x') + String(i), ciphertext: `CIPHERMARK${i % 4}`, received_at: AT }))
    await db.insertInto('letter').values(letters).execute()
    const samples = async () => (await sql<{ c: string; s: string }>`select attname as c, concat_ws(' ', most_common_vals::text, histogram_bounds::text) as s from pg_stats where schemaname = current_schema() and tablename = 'letter' and attname in ('reference', 'ciphertext') order by attname`.execute(db)).rows
    await sql`analyze letter`.execute(db)
    const before = await samples()
    expect(before.map((r) => r.c)).toEqual(['ciphertext', 'reference'])
    expect(before.find((r) => r.c === 'ciphertext')!.s).toContain('CIPHERMARK')
    expect(before.find((r) => r.c === 'reference')!.s).toContain('REFMARK')

    expect((await migrator.migrateTo('2026121302_no_statistics_on_letters')).error).toBeUndefined()
    expect(await samples()).toEqual([])
    await sql`analyze letter`.execute(db)
    expect(await samples()).toEqual([])
    expect(Number((await db.selectFrom('letter').select((e) => e.fn.countAll().as('n')).where('ciphertext', 'like', 'CIPHERMARK%').executeTakeFirstOrThrow()).n)).toBe(200)

    expect((await migrator.migrateTo('2026121301_thread_opening')).error).toBeUndefined()
    const targets = (await sql<{ s: number | null }>`select attstattarget as s from pg_attribute where attrelid = 'letter'::regclass and attname in ('reference', 'ciphertext')`.execute(db)).rows
    expect(targets.map((r) => r.s)).not.toContain(0)
  })
})
