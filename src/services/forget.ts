import { boardsWithRetention } from '../db/boards.ts'
import type { Db } from '../db/connect.ts'
import type { Board } from '../db/schema.ts'
import { deleteOrphanKeys } from '../db/keys.ts'
import { deleteLettersPastRetention } from '../db/letters.ts'
import { deletePost, findPostAt, findQuotedPosts, findQuotingPosts, findThreadPlace, setPostHtml } from '../db/posts.ts'
import { renderPostBody } from '../domain/markdown.ts'
import { deleteThreads, findThread, keysOfThreads, retitleThread, threadsIdleSince } from '../db/threads.ts'
import { recordOperatorAction } from '../db/decision-log.ts'
import { notFound } from '../domain/errors.ts'
import { coarseTime } from '../domain/time.ts'
import { DEFAULT_LANG, isLang, t, tIn, type Lang } from '../i18n/index.ts'
import type { Deps } from './deps.ts'
import { putQuestionPayload } from '../db/questions.ts'
import { payloadOf, type PayloadOf } from './questions/kinds.ts'
import { findBoardOrThrow, readableByAnyone } from './reading.ts'

// "If we did not publish it, forget it": removal is a hard delete, followed by the purge, which
// only reports done once the removed content is gone from every database file.

/** The language a cell's decision log is written in. */
const langOfCell = (cell: { lang: string }): Lang => (isLang(cell.lang) ? cell.lang : DEFAULT_LANG)

export type PurgeReport = { threads: number; keys: number; letters: number; checkpointAttempts: number; ms: number }

/**
 * Inside a write transaction: delete a post, and its key if that key now signs nothing. The
 * thread's title was part of the opening post's signed text, so it goes with that post.
 */
export async function forgetPost(tx: Db, post: { id: number; thread_id: number; key_id: number }) {
  const quoting = await findQuotingPosts(tx, post.id)
  const r = await deletePost(tx, post)
  await renderAgain(tx, quoting)
  if (r.number === 1 && !r.threadDeleted) {
    // Stored, so in the thread's cell's language (as its decision log is).
    const cell = await tx.selectFrom('thread').innerJoin('board', 'board.id', 'thread.board_id').innerJoin('cell', 'cell.id', 'board.cell_id').select('cell.lang').where('thread.id', '=', post.thread_id).executeTakeFirstOrThrow()
    await retitleThread(tx, post.thread_id, tIn(langOfCell(cell), 'thread.removed_opening_title'))
  }
  await deleteOrphanKeys(tx, [post.key_id])
  return r
}

/**
 * Inside a write transaction, after a post was deleted: render again the posts that quoted it, so
 * their >>N to it is text rather than a link to nothing (their references to it went with it).
 * Only the references to earlier posts that still exist are links, as when they were written.
 */
async function renderAgain(tx: Db, posts: { id: number; thread_id: number; number: number; body_source: string }[]) {
  if (posts.length === 0) return
  const place = await findThreadPlace(tx, posts[0]!.thread_id)
  const threadPath = `/c/${place.cell}/${place.board}/t/${place.number}`
  for (const p of posts) {
    const exists = await findQuotedPosts(tx, p.thread_id, p.body_source, p.number)
    await setPostHtml(tx, p.id, renderPostBody(p.body_source, threadPath, 'body', new Set(exists.map((q) => q.number))))
  }
}

/** What an adopted answer's question keeps of each post it published: the letter (post 1) and the answer (post 2). */
const ANSWER_COPIES: Record<number, 'text' | 'answer'> = { 1: 'text', 2: 'answer' }

/**
 * Inside the purge's transaction, which every removal runs once it has committed (the operator's,
 * a decision's, a board's retention): an adopted "publish an answer to a letter" keeps what it
 * published in its question (kinds.ts, publish_answer), shown on the question's page and in its
 * tally bundle; the copy of a post no longer there goes, or the words the cell or its operator
 * removed stayed public (removals made before this, an archive imported without the thread, too).
 * The ballots signed nothing of it (a ballot names the question, not its text), so the tally
 * still verifies. Two statements, however many answers: the questions, then their posts left.
 */
async function sweepAnswerCopies(tx: Db): Promise<number> {
  const held: { id: number; cellId: number; p: PayloadOf<'publish_answer'> & { thread: number } }[] = []
  for (const q of await tx.selectFrom('question').select(['id', 'cell_id', 'kind', 'payload']).where('kind', '=', 'publish_answer').where('outcome', '=', 'adopted').execute()) {
    const p = payloadOf(q)
    if (p.kind === 'publish_answer' && p.thread !== null && (p.text !== '' || p.answer !== '')) held.push({ id: q.id, cellId: q.cell_id, p: { ...p, thread: p.thread } })
  }
  if (held.length === 0) return 0
  const left = await tx
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .innerJoin('board', 'board.id', 'thread.board_id')
    .select(['board.cell_id', 'board.slug', 'thread.number as thread', 'post.number'])
    .where('thread.number', 'in', [...new Set(held.map((h) => h.p.thread))])
    .where('post.number', 'in', [1, 2])
    .execute()
  const there = new Set(left.map((r) => `${r.cell_id}/${r.slug}/${r.thread}/${r.number}`))
  let swept = 0
  for (const { id, cellId, p } of held) {
    const gone = Object.entries(ANSWER_COPIES).filter(([n, part]) => !there.has(`${cellId}/${p.board}/${p.thread}/${n}`) && p[part] !== '').map(([, part]) => part)
    if (gone.length === 0) continue
    await putQuestionPayload(tx, id, JSON.stringify({ ...p, ...Object.fromEntries(gone.map((part) => [part, ''])) }))
    swept++
  }
  return swept
}

/** Inside a write transaction: delete threads with their posts, and keys left signing nothing. */
export async function forgetThreads(tx: Db, threadIds: number[]): Promise<{ threads: number; keys: number }> {
  const keys = await keysOfThreads(tx, threadIds)
  const threads = await deleteThreads(tx, threadIds)
  return { threads, keys: await deleteOrphanKeys(tx, keys) }
}

/**
 * The purge: forget threads past their board's retention, letters past their cell's, and keys that sign nothing, then
 * checkpoint until the files hold none of it. Runs after removals, on a timer, and from the CLI.
 */
export async function purge(deps: Deps, opts: { removed?: boolean; dropped?: boolean } = {}): Promise<PurgeReport> {
  // A removal whose own purge failed is finished by the next one (the timer's, within the hour). Only
  // a purge that began owing it, or that finishes a removal itself, settles it: one already running
  // when the failure came may rewrite nothing.
  const settles = owed.has(deps) || opts.removed === true
  if (settles) opts = { ...opts, removed: true }
  const started = performance.now()
  const { threads, keys, letters, answers } = await deps.db.transaction().execute(async (tx) => {
    let threads = 0
    let keys = 0
    for (const b of await boardsWithRetention(tx)) {
      const cutoff = new Date(deps.now() - b.retention_days! * 86_400_000).toISOString()
      const r = await forgetThreads(tx, await threadsIdleSince(tx, b.id, cutoff))
      threads += r.threads
      keys += r.keys
    }
    keys += await deleteOrphanKeys(tx)
    const letters = await deleteLettersPastRetention(tx, deps.now())
    return { threads, keys, letters, answers: await sweepAnswerCopies(tx) }
  })
  // `dropped`: the removal that asked for this purge dropped every page already (finishRemoval).
  if (threads + keys + answers > 0 || (opts.removed && !opts.dropped)) await deps.cache.clear()
  // SQLite checkpoints every time (cheap); PostgreSQL rewrites tables, so only after deletions.
  const { attempts } = threads + keys + letters + answers > 0 || opts.removed || deps.storage.dialect === 'sqlite' ? await deps.storage.finishForgetting() : { attempts: 0 }
  if (settles) owed.delete(deps)
  return { threads, keys, letters, checkpointAttempts: attempts, ms: Math.round(performance.now() - started) }
}

/** A post removed inside a transaction: what its removal leaves to do once that commits. */
export type Removed = { threadId: number; boardId: number; threadDeleted: boolean }

/**
 * The one way a post is removed, whether the operator's CLI or a cell's decision asks: inside a
 * write transaction, by its place (board, thread number, post number: never reused, so this is
 * the post that was named, or none). Then finishRemoval once the transaction has committed.
 */
export async function removePostAt(tx: Db, at: { board: Pick<Board, 'id'>; thread: number; number: number }): Promise<Removed | null> {
  const post = await findPostAt(tx, { boardId: at.board.id, thread: at.thread, number: at.number })
  if (!post) return null
  const r = await forgetPost(tx, post)
  return { threadId: post.thread_id, boardId: at.board.id, threadDeleted: r.threadDeleted }
}

/**
 * After removals committed, whoever asked for them: every process drops its cached pages, at once
 * (and is told so), then the purge returns once the files hold none of it. The pages go first, not
 * after the purge's own transaction: that may wait for a table another transaction holds (another
 * node's purge rewriting it) or fail, and until 2026-12-07 the removed words stayed on every node's
 * pages meanwhile, or until the thread's next post (tests/postgres/removal-drops-first.test.ts).
 */
export async function finishRemoval(deps: Deps): Promise<PurgeReport> {
  await deps.cache.clear()
  try {
    return await purge(deps, { removed: true, dropped: true })
  } catch (e) {
    owed.add(deps)
    throw new ForgettingUnfinished(e instanceof Error ? e.message : String(e))
  }
}

/**
 * finishRemoval inside a server's request (a decision, letters marked handled): a purge that failed
 * is said in the server's output, and its next purge finishes it; the person whose removal stood is
 * not told of it as an error.
 */
export async function finishRemovalInServer(deps: Deps): Promise<void> {
  await finishRemoval(deps).catch((e: unknown) => {
    if (!(e instanceof ForgettingUnfinished)) throw e
    console.error(`cellboard: ${e.message}`) // i18n-exempt: the program's name
  })
}

/**
 * The processes whose last removal's purge failed: their next purge finishes it (rewrites,
 * checkpoints). A server's, while it runs; the CLI's ends with the command, which says what to run.
 */
const owed = new WeakSet<Deps>()

/**
 * A removal committed and every page showing it dropped, but its purge failed (a connection cut, a
 * lock it gave up on): its rows may still be in the database's files. Said to the operator with
 * what to run; in a server, its next purge (the timer's) finishes it too.
 */
export class ForgettingUnfinished extends Error {
  constructor(error: string) {
    super(t('app.forgetting_unfinished', { error }))
  }
}

/** The operator's "post remove": hard-delete one post (by board, thread number and number), then purge. */
export async function removePost(deps: Deps, at: { cell: string; board: string; thread: number; number: number }) {
  const { cell, board } = await findBoardOrThrow(deps, at.cell, at.board)
  const removed = await deps.db.transaction().execute(async (tx) => {
    const r = await removePostAt(tx, { board, thread: at.thread, number: at.number })
    if (!r) return null
    // The log is public: of a members' board it names no thread or post (they count its posts).
    // Stored text: in the cell's language.
    const said = readableByAnyone(board) ? tIn(langOfCell(cell), 'cell.oplog_removed_post', { number: String(at.number), thread: String(at.thread), board: board.slug }) : tIn(langOfCell(cell), 'cell.oplog_removed_post_private', { board: board.slug })
    await recordOperatorAction(tx, cell.id, said, coarseTime(deps.now(), deps.config.timeGranularityMs))
    return r
  })
  if (!removed) throw notFound(t('cell.post_not_found'))
  return { ...removed, purge: await finishRemoval(deps) }
}

/** The operator's "thread remove": hard-delete a thread (by board and number) and all its posts, then purge. */
export async function removeThread(deps: Deps, at: { cell: string; board: string; thread: number }) {
  const { cell, board } = await findBoardOrThrow(deps, at.cell, at.board)
  const thread = await findThread(deps.db, board.id, at.thread)
  if (!thread) throw notFound(t('cell.thread_not_found'))
  const r = await deps.db.transaction().execute(async (tx) => {
    const said = readableByAnyone(board) ? tIn(langOfCell(cell), 'cell.oplog_removed_thread', { thread: String(thread.number), board: board.slug }) : tIn(langOfCell(cell), 'cell.oplog_removed_thread_private', { board: board.slug })
    await recordOperatorAction(tx, cell.id, said, coarseTime(deps.now(), deps.config.timeGranularityMs))
    return forgetThreads(tx, [thread.id])
  })
  return { ...r, purge: await finishRemoval(deps) }
}
