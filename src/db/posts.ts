import { sql } from 'kysely'
import type { Db } from './connect.ts'
import type { NewPost } from './schema.ts'

export type PostView = {
  id: number
  number: number
  signing: NewPost['signing']
  body_html: string
  created_at: string
  fingerprint: string
  signed: boolean
}

export async function listPosts(db: Db, threadId: number, limit: number, offset: number): Promise<PostView[]> {
  const rows = await db
    .selectFrom('post')
    .innerJoin('public_key', 'public_key.id', 'post.key_id')
    .select(['post.id', 'post.number', 'post.signing', 'post.body_html', 'post.created_at', 'public_key.fingerprint'])
    .select((eb) => eb('post.signed_text', 'is not', null).as('signed'))
    .where('post.thread_id', '=', threadId)
    .orderBy('post.number')
    .limit(limit)
    .offset(offset)
    .execute()
  // SQLite answers 0/1, PostgreSQL a boolean.
  return rows.map((r) => ({ ...r, signed: Boolean(r.signed) }))
}

/**
 * Append a post to a thread: its number is the thread's next, and the thread's activity
 * marker moves to it. Call inside a write transaction.
 */
export async function appendPost(db: Db, p: Omit<NewPost, 'number'>): Promise<{ id: number; number: number }> {
  const thread = await db
    .updateTable('thread')
    .set({ post_count: sql`post_count + 1`, last_number: sql`last_number + 1`, last_post_at: p.created_at })
    .where('id', '=', p.thread_id)
    .returning('last_number')
    .executeTakeFirstOrThrow()
  const row = await db.insertInto('post').values({ ...p, number: thread.last_number }).returning(['id', 'number']).executeTakeFirstOrThrow()
  await db.updateTable('thread').set({ last_post_id: row.id }).where('id', '=', p.thread_id).execute()
  return row
}

/** A post's signed text, found by board, thread number and number (so an address cannot cross boards). */
export function findSignedText(db: Db, place: PostPlace) {
  return db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .select(['post.signed_text', 'post.signing', 'post.thread_id'])
    .where('thread.board_id', '=', place.boardId)
    .where('thread.number', '=', place.thread)
    .where('post.number', '=', place.number)
    .executeTakeFirst()
}

export async function countPostsBefore(db: Db, threadId: number, number: number): Promise<number> {
  const row = await db
    .selectFrom('post')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('thread_id', '=', threadId)
    .where('number', '<', number)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Where a post is: its board, its thread's number on that board, its number in the thread. */
export type PostPlace = { boardId: number; thread: number; number: number }

/** A post by its place (numbers are never reused, so a place names one post for good). */
export function findPostAt(db: Db, place: PostPlace) {
  return db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .select(['post.id', 'post.key_id', 'post.thread_id', 'post.body_html'])
    .where('thread.board_id', '=', place.boardId)
    .where('thread.number', '=', place.thread)
    .where('post.number', '=', place.number)
    .executeTakeFirst()
}

/**
 * Hard-delete one post and keep its thread's counters true: the activity marker moves to the
 * latest post left. A thread left with no posts is deleted too. Call inside a write transaction.
 * Returns whether the thread went with it.
 */
export async function deletePost(db: Db, post: { id: number; thread_id: number }): Promise<{ threadDeleted: boolean; number: number | null }> {
  const removed = await db.deleteFrom('post').where('id', '=', post.id).returning('number').executeTakeFirst()
  const latest = await db.selectFrom('post').select(['id', 'created_at']).where('thread_id', '=', post.thread_id).orderBy('id', 'desc').limit(1).executeTakeFirst()
  if (!latest) {
    await db.deleteFrom('thread').where('id', '=', post.thread_id).execute()
    return { threadDeleted: true, number: removed?.number ?? null }
  }
  await db
    .updateTable('thread')
    .set((eb) => ({ post_count: eb('post_count', '-', 1), last_post_id: latest.id, last_post_at: latest.created_at }))
    .where('id', '=', post.thread_id)
    .execute()
  return { threadDeleted: false, number: removed?.number ?? null }
}

export type RecentPost = { number: number; thread: number; title: string; body_html: string; created_at: string; fingerprint: string }

/**
 * A board's latest posts, newest first (order from ids), with their threads' numbers and titles:
 * for its feed. They lie in its `limit` most recently active threads, which the thread index
 * finds at once, so a long board is not scanned.
 */
export function recentPostsOnBoard(db: Db, boardId: number, limit: number): Promise<RecentPost[]> {
  const active = db.selectFrom('thread').select('id').where('board_id', '=', boardId).orderBy('last_post_id', 'desc').limit(limit)
  return db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .innerJoin('public_key', 'public_key.id', 'post.key_id')
    .select(['post.number', 'thread.number as thread', 'thread.title', 'post.body_html', 'post.created_at', 'public_key.fingerprint'])
    .where('post.thread_id', 'in', active)
    .orderBy('post.id', 'desc')
    .limit(limit)
    .execute()
}
