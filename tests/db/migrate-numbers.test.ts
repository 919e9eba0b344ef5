import { describe, expect, it } from 'vitest'
import { migrateToLatest } from '../../src/db/connect.ts'
import { insertThread } from '../../src/db/threads.ts'
import { migrationTest } from '../support/migrations.ts'

// Upgrading to per-board thread numbers and per-cell question numbers (2026120201): what was
// published keeps its address, no number is ever given twice on a board, and a stored "remove a
// post" question loses the post's row id but keeps its place. The decision log's removals on a
// members' board lose their numbers (2026120202).
const open = migrationTest('numbers')

const AT = '2026-12-01T10:00:00.000Z'

describe('upgrading to numbers by place', () => {
  it('existing threads and questions keep number = id; boards count on past every id handed out; postId leaves the payloads; down restores it', async () => {
    const { db, migrator, storage } = await open('2026113001_revocations_keep_fingerprint', { poolSize: 2 })

    // The database as the previous release left it: thread ids shared by two boards, the newest
    // thread (on the members' board) removed, questions in two cells, one naming a post by row id.
    const id = async (table: string, values: Record<string, unknown>) => (await db.insertInto(table).values(values).returning('id').executeTakeFirstOrThrow()).id as number
    const lobby = await id('cell', { slug: 'lobby', name: 'Lobby', created_at: AT })
    const other = await id('cell', { slug: 'other', name: 'Other', created_at: AT })
    const general = await id('board', { cell_id: lobby, slug: 'general', name: 'General', visibility: 'public', created_at: AT })
    const inner = await id('board', { cell_id: lobby, slug: 'inner', name: 'Inner', visibility: 'members', created_at: AT })
    const key = await id('public_key', { fingerprint: 'a'.repeat(40), armored: 'KEY', created_at: AT })
    const threads: number[] = []
    for (const board of [general, inner, general, inner]) threads.push(await id('thread', { board_id: board, title: 'T', created_at: AT, last_post_at: AT, post_count: 1, last_number: 1 }))
    const posts: number[] = []
    for (const t of threads) posts.push(await id('post', { thread_id: t, number: 1, key_id: key, signing: 'session-attested', body_source: 'b', body_html: '<p>b</p>', created_at: AT }))
    await db.deleteFrom('thread').where('id', '=', threads[3]!).execute()
    const question = (cell: number, payload: object) => id('question', { cell_id: cell, kind: 'remove_post', payload: JSON.stringify(payload), argument: 'a', line_version: 1, eligible: 1, quorum: 1, threshold: 'majority', opened_at: AT, deadline: AT, status: 'open' })
    const payload = { board: 'general', thread: threads[2], number: 1, principle: 1, principleText: 'P' }
    const q1 = await question(lobby, { kind: 'remove_post', postId: posts[2], ...payload })
    const q2 = await question(other, { kind: 'remove_post', postId: posts[0], board: 'general', thread: threads[0], number: 1, principle: 1, principleText: 'P' })
    const q3 = await question(lobby, { kind: 'remove_post', postId: posts[2], ...payload })
    // The operator's removals as the decision log published them (2026120202 rewrites the members' ones).
    const logged = [`removed post 2 of thread ${threads[0]} on the board "general"`, `removed post 1 of thread ${threads[3]} on the board "inner"`, `removed thread ${threads[1]} on the board "inner", with its posts`, 'created the board "inner" (members)']
    for (const action of logged) await id('operator_action', { cell_id: lobby, action, created_at: AT })

    expect(await migrateToLatest(storage.db)).toEqual(expect.arrayContaining(['2026120201_numbers_by_place', '2026120202_members_removals_unnumbered']))

    const rows = await db.selectFrom('thread').select(['id', 'number']).orderBy('id').execute()
    expect(rows).toEqual(threads.slice(0, 3).map((t) => ({ id: t, number: t })))
    expect((await db.selectFrom('question').select(['id', 'number']).orderBy('id').execute())).toEqual([q1, q2, q3].map((q) => ({ id: q, number: q })))
    expect(await db.selectFrom('cell').select(['slug', 'last_question_number']).orderBy('id').execute()).toEqual([{ slug: 'lobby', last_question_number: q3 }, { slug: 'other', last_question_number: q2 }])
    for (const q of await db.selectFrom('question').select('payload').execute()) expect(Object.keys(JSON.parse(q.payload))).not.toContain('postId')
    expect(JSON.parse((await db.selectFrom('question').select('payload').where('id', '=', q1).executeTakeFirstOrThrow()).payload)).toEqual({ kind: 'remove_post', ...payload })

    expect((await db.selectFrom('operator_action').select('action').orderBy('id').execute()).map((a) => a.action)).toEqual([
      logged[0],
      'removed a post on the members-only board "inner"',
      'removed a thread on the members-only board "inner", with its posts',
      logged[3],
    ])

    // The removed thread's number is not given again on its board, nor on any other.
    expect((await insertThread(storage.db, { boardId: inner, title: 'New', createdAt: AT })).number).toBe(threads[3]! + 1)
    expect((await insertThread(storage.db, { boardId: general, title: 'New', createdAt: AT })).number).toBe(threads[3]! + 1)
    expect((await insertThread(storage.db, { boardId: general, title: 'Newer', createdAt: AT })).number).toBe(threads[3]! + 2)

    // Down: the previous release finds its posts by row id again.
    expect((await migrator.migrateTo('2026113001_revocations_keep_fingerprint')).error).toBeUndefined()
    expect(JSON.parse((await db.selectFrom('question').select('payload').where('id', '=', q1).executeTakeFirstOrThrow()).payload).postId).toBe(posts[2])
    expect(await migrateToLatest(storage.db)).toEqual(expect.arrayContaining(['2026120201_numbers_by_place', '2026120202_members_removals_unnumbered']))
  })
})
