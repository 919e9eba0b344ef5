import { describe, expect, it } from 'vitest'
import { migrationTest } from '../support/migrations.ts'

// 2026120301: the kinds of line question live in code, so the database no longer lists them (a new
// kind needs no migration). On SQLite that rebuilds the question table: every question, and what
// points at it (voters, ballots, line versions, fraternal cells), must come through, with its
// foreign keys and indexes still enforced afterwards.
const open = migrationTest('kinds')

const AT = '2026-12-01T10:00:00.000Z'

describe('the question kinds leave the schema', () => {
  it('keeps every question and what points at it; takes any kind afterwards; still enforces its keys and numbers; down restores the list', async () => {
    const { db, migrator } = await open('2026120202_members_removals_unnumbered')

    const id = async (table: string, values: Record<string, unknown>) => (await db.insertInto(table).values(values).returning('id').executeTakeFirstOrThrow()).id as number
    const cell = await id('cell', { slug: 'lobby', name: 'Lobby', created_at: AT })
    const key = await id('public_key', { fingerprint: 'a'.repeat(40), armored: 'KEY', created_at: AT })
    const question = (values: Record<string, unknown>) => id('question', { cell_id: cell, payload: '{}', argument: 'a', line_version: 1, eligible: 1, quorum: 1, threshold: 'majority', opened_at: AT, deadline: AT, status: 'closed', outcome: 'adopted', ...values })
    const q1 = await question({ kind: 'amend_line', number: 1 })
    const q2 = await question({ kind: 'recognise_cell', number: 2 })
    await id('eligible_voter', { question_id: q1, key_id: key })
    await id('ballot', { question_id: q1, key_id: key, choice: 'yes', signing: 'disposable', signed_text: 'BALLOT', cast_at: AT })
    await id('line', { cell_id: cell, version: 2, created_at: AT, question_id: q1 })
    await id('fraternal_cell', { cell_id: cell, name: 'F', location: 'http://f.onion', fingerprint: 'b'.repeat(40), armored: 'K', question_id: q2, created_at: AT })
    await expect(question({ kind: 'publish_answer', number: 3 })).rejects.toThrow(/check/i)

    const { error, results } = await migrator.migrateToLatest()
    expect(error).toBeUndefined()
    expect(results?.map((r) => r.migrationName)).toContain('2026120301_question_kinds_in_code')

    expect(await db.selectFrom('question').select(['id', 'kind', 'number']).orderBy('id').execute()).toEqual([{ id: q1, kind: 'amend_line', number: 1 }, { id: q2, kind: 'recognise_cell', number: 2 }])
    expect((await db.selectFrom('ballot').select('signed_text').where('question_id', '=', q1).execute()).map((b) => b.signed_text)).toEqual(['BALLOT'])
    expect(await db.selectFrom('eligible_voter').select('question_id').execute()).toEqual([{ question_id: q1 }])
    expect(await db.selectFrom('line').select('question_id').execute()).toEqual([{ question_id: q1 }])
    expect(await db.selectFrom('fraternal_cell').select('question_id').execute()).toEqual([{ question_id: q2 }])

    // Any kind now; numbers still unique per cell; foreign keys still enforced, cascades still run.
    const q3 = await question({ kind: 'publish_answer', number: 3 })
    await expect(question({ kind: 'amend_line', number: 3 })).rejects.toThrow(/unique|constraint/i)
    await expect(id('ballot', { question_id: 999_999, key_id: key, choice: 'yes', signing: 'disposable', signed_text: 'X', cast_at: AT })).rejects.toThrow(/foreign key/i)
    // A question a line version points at cannot go; one with only ballots takes them with it.
    await expect(db.deleteFrom('question').where('id', '=', q1).execute()).rejects.toThrow(/foreign key/i)
    await id('eligible_voter', { question_id: q3, key_id: key })
    await id('ballot', { question_id: q3, key_id: key, choice: 'no', signing: 'disposable', signed_text: 'B3', cast_at: AT })
    await db.deleteFrom('question').where('id', '=', q3).execute()
    expect((await db.selectFrom('ballot').select('question_id').execute()).map((b) => b.question_id)).toEqual([q1])
    expect((await db.selectFrom('eligible_voter').select('question_id').execute()).map((b) => b.question_id)).toEqual([q1])

    expect((await migrator.migrateTo('2026120202_members_removals_unnumbered')).error).toBeUndefined()
    await expect(question({ kind: 'publish_answer', number: 4 })).rejects.toThrow(/check/i)
  })
})
