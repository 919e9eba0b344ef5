import type { Db } from './connect.ts'
import type { Board, Cell, NewPost } from './schema.ts'

// What an archive reads of a cell, page by page (keyset, never the whole cell in memory), and
// what a restore writes back with the numbers it had. Only public boards (read_tier null) are read
// here: members-only content never reaches an archive.

export function publicBoards(db: Db, cellId: number): Promise<Board[]> {
  return db.selectFrom('board').selectAll().where('cell_id', '=', cellId).where('read_tier', 'is', null).orderBy('id').execute()
}

/** How many posts the cell's public boards hold (for the export's progress). */
export async function countPublicPosts(db: Db, cellId: number): Promise<number> {
  const row = await db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .innerJoin('board', 'board.id', 'thread.board_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('board.cell_id', '=', cellId)
    .where('board.read_tier', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A board's threads by number, after `after`. */
export function threadsAfter(db: Db, boardId: number, after: number, limit: number) {
  return db
    .selectFrom('thread')
    .select(['id', 'number', 'title', 'created_at', 'post_count', 'last_number', 'last_post_at'])
    .where('board_id', '=', boardId)
    .where('number', '>', after)
    .orderBy('number')
    .limit(limit)
    .execute()
}

export type ArchivedPost = Pick<NewPost, 'number' | 'signing' | 'body_source' | 'body_html' | 'signed_text' | 'created_at'> & { number: number; fingerprint: string }

/** A thread's posts as published, with their signed texts, by number after `after`. */
export function postsAfter(db: Db, threadId: number, after: number, limit: number): Promise<ArchivedPost[]> {
  return db
    .selectFrom('post')
    .innerJoin('public_key', 'public_key.id', 'post.key_id')
    .select(['post.number', 'post.signing', 'post.body_source', 'post.body_html', 'post.signed_text', 'post.created_at', 'public_key.fingerprint'])
    .where('post.thread_id', '=', threadId)
    .where('post.number', '>', after)
    .orderBy('post.number')
    .limit(limit)
    .execute()
}

/**
 * The public keys a cell's archive holds, by id after `after`: those that signed a post on a
 * public board, hold a place on the roster, or were eligible for or cast a ballot on a decision.
 */
export function publishedKeysAfter(db: Db, cellId: number, after: number, limit: number) {
  return db
    .selectFrom('public_key as k')
    .select(['k.id', 'k.fingerprint', 'k.armored', 'k.created_at'])
    .where('k.id', '>', after)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('post')
            .innerJoin('thread', 'thread.id', 'post.thread_id')
            .innerJoin('board', 'board.id', 'thread.board_id')
            .select('post.id')
            .whereRef('post.key_id', '=', 'k.id')
            .where('board.cell_id', '=', cellId)
            .where('board.read_tier', 'is', null),
        ),
        eb.exists(eb.selectFrom('roster_entry').select('roster_entry.id').whereRef('roster_entry.key_id', '=', 'k.id').where('roster_entry.cell_id', '=', cellId)),
        eb.exists(
          eb.selectFrom('eligible_voter').innerJoin('question', 'question.id', 'eligible_voter.question_id').select('eligible_voter.id').whereRef('eligible_voter.key_id', '=', 'k.id').where('question.cell_id', '=', cellId).where('question.status', '=', 'closed'),
        ),
        eb.exists(eb.selectFrom('ballot').innerJoin('question', 'question.id', 'ballot.question_id').select('ballot.id').whereRef('ballot.key_id', '=', 'k.id').where('question.cell_id', '=', cellId).where('question.status', '=', 'closed')),
      ]),
    )
    .orderBy('k.id')
    .limit(limit)
    .execute()
}

/** The cell's fraternal cells with their keys and the decision that recognised each. */
export function fraternalCellsOf(db: Db, cellId: number) {
  return db
    .selectFrom('fraternal_cell')
    .innerJoin('question', 'question.id', 'fraternal_cell.question_id')
    .select(['fraternal_cell.name', 'fraternal_cell.location', 'fraternal_cell.fingerprint', 'fraternal_cell.armored', 'fraternal_cell.created_at', 'question.number as question'])
    .where('fraternal_cell.cell_id', '=', cellId)
    .orderBy('fraternal_cell.id')
    .execute()
}

// ----- Restoring ------------------------------------------------------------------------------

export async function hasAnyCell(db: Db): Promise<boolean> {
  return (await db.selectFrom('cell').select('id').limit(1).executeTakeFirst()) !== undefined
}

export type RestoredCell = Omit<Cell, 'id'>

export async function restoreCell(db: Db, c: RestoredCell): Promise<number> {
  return (await db.insertInto('cell').values(c).returning('id').executeTakeFirstOrThrow()).id
}

export async function restoreKeys(db: Db, keys: { fingerprint: string; armored: string; created_at: string }[]): Promise<void> {
  if (keys.length === 0) return
  await db.insertInto('public_key').values(keys).onConflict((oc) => oc.column('fingerprint').doNothing()).execute()
}

/** The row ids of keys by fingerprint (a restore's own lookups, a page of fingerprints at a time). */
export async function keyIds(db: Db, fingerprints: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(fingerprints)]
  if (unique.length === 0) return new Map()
  const rows = await db.selectFrom('public_key').select(['id', 'fingerprint']).where('fingerprint', 'in', unique).execute()
  return new Map(rows.map((r) => [r.fingerprint, r.id]))
}

export type RestoredQuestion = {
  number: number
  kind: string
  payload: string
  argument: string
  line_version: number
  eligible: number
  quorum: number
  threshold: 'majority' | 'two_thirds'
  opened_at: string
  deadline: string
  outcome: 'adopted' | 'rejected' | 'no_quorum'
  yes: number
  no: number
  abstain: number
  closed_at: string
}

/** A decided question with its number, its eligible voters and its ballots as they were signed. */
export async function restoreDecision(
  db: Db,
  cellId: number,
  q: RestoredQuestion,
  eligible: number[],
  ballots: { key_id: number; choice: 'yes' | 'no' | 'abstain'; signing: 'disposable' | 'browser' | 'gpg-signed'; signed_text: string; cast_at: string }[],
): Promise<number> {
  const { id } = await db.insertInto('question').values({ ...q, cell_id: cellId, status: 'closed' }).returning('id').executeTakeFirstOrThrow()
  if (eligible.length > 0) await db.insertInto('eligible_voter').values(eligible.map((key_id) => ({ question_id: id, key_id }))).execute()
  if (ballots.length > 0) await db.insertInto('ballot').values(ballots.map((b) => ({ ...b, question_id: id }))).execute()
  return id
}

export async function restoreLineVersion(db: Db, l: { cellId: number; version: number; createdAt: string; questionId: number | null }, principles: { number: number; text: string }[]) {
  const line = await db.insertInto('line').values({ cell_id: l.cellId, version: l.version, created_at: l.createdAt, question_id: l.questionId }).returning('id').executeTakeFirstOrThrow()
  if (principles.length > 0) await db.insertInto('principle').values(principles.map((p) => ({ line_id: line.id, number: p.number, text: p.text }))).execute()
}

/** A board as an archive holds it; its thread count starts at 0 and its triggers count the threads restored into it. */
export function restoreBoard(db: Db, b: Omit<Board, 'id' | 'thread_count'> & { thread_count?: unknown }) {
  const { thread_count: _n, ...board } = b
  return db.insertInto('board').values(board).returning('id').executeTakeFirstOrThrow()
}

/** A thread with its number and counters as published; its last_post_id is set once its posts are in. */
export async function restoreThread(db: Db, t: { board_id: number; number: number; title: string; created_at: string; post_count: number; last_number: number; last_post_at: string }): Promise<number> {
  return (await db.insertInto('thread').values(t).returning('id').executeTakeFirstOrThrow()).id
}

export async function restorePosts(db: Db, threadId: number, posts: (Omit<NewPost, 'thread_id'> & { number: number })[]): Promise<number | null> {
  if (posts.length === 0) return null
  const rows = await db.insertInto('post').values(posts.map((p) => ({ ...p, thread_id: threadId }))).returning('id').execute()
  return Math.max(...rows.map((r) => r.id))
}

export async function finishThread(db: Db, threadId: number, lastPostId: number): Promise<void> {
  await db.updateTable('thread').set({ last_post_id: lastPostId }).where('id', '=', threadId).execute()
}

export async function restoreRosterEntry(db: Db, e: { cell_id: number; key_id: number; tier: string; created_at: string }) {
  await db.insertInto('roster_entry').values(e).execute()
}

export async function restoreKeyTransition(db: Db, t: { cell_id: number; number: number; old_fingerprint: string; new_fingerprint: string; old_armored: string; statement: string; created_at: string }) {
  await db.insertInto('cell_key_transition').values(t).execute()
}

export async function restoreOperatorActions(db: Db, cellId: number, actions: { action: string; created_at: string }[]) {
  if (actions.length > 0) await db.insertInto('operator_action').values(actions.map((a) => ({ cell_id: cellId, ...a }))).execute()
}

export async function restoreFraternalCell(db: Db, f: { cell_id: number; name: string; location: string; fingerprint: string; armored: string; question_id: number; created_at: string }) {
  await db.insertInto('fraternal_cell').values(f).execute()
}
