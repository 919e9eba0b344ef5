import { describe, expect, it } from 'vitest'
import { migrateToLatest } from '../../src/db/connect.ts'
import { migrationTest } from '../support/migrations.ts'

// Upgrading to backlinks (2026120703): posts written before get their references from their text,
// so their replies are listed and a later removal unlinks them like any other.
const open = migrationTest('post-reference')

const AT = '2026-12-06T10:00:00.000Z'

describe('upgrading to post references', () => {
  it('each earlier post a post names with >>N, once, in its own thread; no number that is not a post, no later one, no other thread’s', async () => {
    const { db, storage } = await open('2026120702_board_indexable')
    const id = async (table: string, values: Record<string, unknown>) => (await db.insertInto(table).values(values).returning('id').executeTakeFirstOrThrow()).id as number
    const cell = await id('cell', { slug: 'lobby', name: 'Lobby', created_at: AT })
    const board = await id('board', { cell_id: cell, slug: 'general', name: 'General', created_at: AT })
    const key = await id('public_key', { fingerprint: 'a'.repeat(40), armored: 'KEY', created_at: AT })
    const thread = (number: number) => id('thread', { board_id: board, number, title: 'T', created_at: AT, last_post_at: AT, post_count: 3, last_number: 3 })
    const [t1, t2] = [await thread(1), await thread(2)]
    const post = (thread_id: number, number: number, body_source: string) => id('post', { thread_id, number, key_id: key, signing: 'session-attested', body_source, body_html: '<p>x</p>', created_at: AT })
    const p1 = await post(t1, 1, 'first, see >>2')
    const p2 = await post(t1, 2, 'on >>1 and >>1')
    const p3 = await post(t1, 3, '>>1, >>2, >>3, >>4 and >>77')
    await post(t2, 1, 'other thread')
    await post(t2, 2, 'on >>1 here, not >>3 there')
    const t2p1 = (await db.selectFrom('post').select('id').where('thread_id', '=', t2).where('number', '=', 1).executeTakeFirstOrThrow()).id

    expect(await migrateToLatest(storage.db)).toContain('2026120703_post_reference')
    const rows = await db.selectFrom('post_reference').select(['post_id', 'quoted_post_id']).orderBy('post_id').orderBy('quoted_post_id').execute()
    const t2p2 = (await db.selectFrom('post').select('id').where('thread_id', '=', t2).where('number', '=', 2).executeTakeFirstOrThrow()).id
    expect(rows).toEqual([
      { post_id: p2, quoted_post_id: p1 },
      { post_id: p3, quoted_post_id: p1 },
      { post_id: p3, quoted_post_id: p2 },
      { post_id: t2p2, quoted_post_id: t2p1 },
    ])
    // Gone with either post.
    await db.deleteFrom('post').where('id', '=', p1).execute()
    expect(await db.selectFrom('post_reference').select('post_id').orderBy('post_id').execute()).toEqual([{ post_id: p3 }, { post_id: t2p2 }])
  })
})
