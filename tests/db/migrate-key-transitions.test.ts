import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'

// 2026120502: a cell's earlier keys with their transition statements, and since when its key
// ought to be rotated.
const open = migrationTest('key-transitions')

const AT = '2026-12-05T10:00:00.000Z'
const [A, B, C] = ['a', 'b', 'c'].map((x) => x.repeat(40)) as [string, string, string]

describe('the cell key’s transitions', () => {
  it('an existing cell keeps its key and owes no rotation; transitions are numbered once per cell and must change the key; down removes both', async () => {
    const { db, migrator } = await open('2026120401_letters')
    const cell = (await db.insertInto('cell').values({ slug: 'lobby', name: 'Lobby', created_at: AT, key_fingerprint: A, key_armored: 'KEY A' }).returning('id').executeTakeFirstOrThrow()).id as number

    const { error, results } = await migrator.migrateToLatest()
    expect(error).toBeUndefined()
    expect(results?.map((r) => r.migrationName)).toContain('2026120502_key_transitions')
    expect(await db.selectFrom('cell').select(['key_fingerprint', 'key_armored', 'key_rotation_due']).execute()).toEqual([{ key_fingerprint: A, key_armored: 'KEY A', key_rotation_due: null }])

    const transition = (values: Record<string, unknown>) =>
      db.insertInto('cell_key_transition').values({ cell_id: cell, number: 1, old_fingerprint: A, new_fingerprint: B, old_armored: 'KEY A', statement: 'SIGNED', created_at: AT, ...values }).execute()
    await transition({})
    await transition({ number: 2, old_fingerprint: B, new_fingerprint: C, old_armored: 'KEY B' })
    await expect(transition({ number: 2, old_fingerprint: C, new_fingerprint: A })).rejects.toThrow(/unique|duplicate/i)
    await expect(transition({ number: 3, old_fingerprint: C, new_fingerprint: C })).rejects.toThrow(/check/i)
    await expect(transition({ number: 0, old_fingerprint: C, new_fingerprint: A })).rejects.toThrow(/check/i)
    await expect(transition({ cell_id: cell + 1, number: 1 })).rejects.toThrow(/foreign key/i)
    await db.updateTable('cell').set({ key_rotation_due: AT }).execute()

    expect((await migrator.migrateTo('2026120401_letters')).error).toBeUndefined()
    const cols = Object.keys((await db.selectFrom('cell').selectAll().executeTakeFirstOrThrow()) as object)
    expect(cols).not.toContain('key_rotation_due')
    expect(cols).toContain('key_armored')
    await expect(db.selectFrom('cell_key_transition').selectAll().execute()).rejects.toThrow(/cell_key_transition/)
  })
})
