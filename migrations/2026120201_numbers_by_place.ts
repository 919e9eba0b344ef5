import { type Kysely, sql } from 'kysely'
import { lastIdOf } from './portable.ts'

// Addresses count only their own place. Thread ids counted every board's threads, members' boards
// included (a public board's new ids showed when members posted), and question ids every cell's
// questions. Threads get a number per board and questions a number per cell, each allocated from a
// counter on the board's or cell's row; row ids stay for foreign keys only. Existing threads and
// questions keep number = id, so their addresses and signed texts ("thread: N", "question: N")
// stay valid. A "remove a post" question named its post by row id too: it names it by place
// (board, thread number, post number; numbers are never reused), and the row id goes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('board').addColumn('last_thread_number', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('thread').addColumn('number', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.updateTable('thread').set({ number: sql`id` }).execute()
  await db.schema.createIndex('thread_board_number').on('thread').columns(['board_id', 'number']).unique().execute()
  // Any board may have had a removed thread with any id handed out so far: start every board past
  // all of them, so no number is ever given twice on a board.
  await db.updateTable('board').set({ last_thread_number: await lastIdOf(db, 'thread') }).execute()

  await db.schema.alterTable('cell').addColumn('last_question_number', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('question').addColumn('number', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.updateTable('question').set({ number: sql`id` }).execute()
  await db.schema.createIndex('question_cell_number').on('question').columns(['cell_id', 'number']).unique().execute()
  // Questions are never removed: the highest number in each cell is its counter.
  await db.updateTable('cell').set({ last_question_number: sql`coalesce((select max(q.number) from question q where q.cell_id = cell.id), 0)` }).execute()

  for (const q of await db.selectFrom('question').select(['id', 'payload']).where('kind', '=', 'remove_post').execute()) {
    const { postId: _, ...payload } = JSON.parse(q.payload)
    await db.updateTable('question').set({ payload: JSON.stringify(payload) }).where('id', '=', q.id).execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // The previous release removes by row id: give it back where the post still exists (0 names none).
  for (const q of await db.selectFrom('question').select(['id', 'cell_id', 'payload']).where('kind', '=', 'remove_post').execute()) {
    const p = JSON.parse(q.payload)
    const post = await db
      .selectFrom('post')
      .innerJoin('thread', 'thread.id', 'post.thread_id')
      .innerJoin('board', 'board.id', 'thread.board_id')
      .select('post.id')
      .where('board.cell_id', '=', q.cell_id)
      .where('board.slug', '=', p.board)
      .where('thread.number', '=', p.thread)
      .where('post.number', '=', p.number)
      .executeTakeFirst()
    await db.updateTable('question').set({ payload: JSON.stringify({ kind: p.kind, postId: post?.id ?? 0, ...p }) }).where('id', '=', q.id).execute()
  }
  await db.schema.dropIndex('question_cell_number').execute()
  await db.schema.alterTable('question').dropColumn('number').execute()
  await db.schema.alterTable('cell').dropColumn('last_question_number').execute()
  await db.schema.dropIndex('thread_board_number').execute()
  await db.schema.alterTable('thread').dropColumn('number').execute()
  await db.schema.alterTable('board').dropColumn('last_thread_number').execute()
}
