import { findBoard, listBoards, listIndexableBoards } from '../db/boards.ts'
import { currentLine, findCell, listCells } from '../db/cells.ts'
import { findKey, keyPublication } from '../db/keys.ts'
import { lineHistory } from '../db/lines.ts'
import { countPostsBefore, findSignedText, readThreadPosts, type ThreadPageRead } from '../db/posts.ts'
import type { Board, Cell } from '../db/schema.ts'
import { findThread, listThreads, type ThreadListing } from '../db/threads.ts'
import { DomainError, notFound, PastLastPage, PostRemoved } from '../domain/errors.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { t } from '../i18n/index.ts'
import type { Deps } from './deps.ts'
import { cacheKey, cacheTag } from './page-cache.ts'
import { refusal } from './access.ts'
import { describeNeed, parseTiers } from '../domain/tiers.ts'
import { waitingLetters } from './letters.ts'

export const homeCells = (deps: Deps) => listCells(deps.db)

export async function findCellOrThrow(deps: Pick<Deps, 'db'>, slug: string): Promise<Cell> {
  const cell = await findCell(deps.db, slug)
  if (!cell) throw notFound(t('board.cell_not_found'))
  return cell
}

export async function findBoardOrThrow(deps: Pick<Deps, 'db'>, cellSlug: string, boardSlug: string): Promise<{ cell: Cell; board: Board }> {
  const cell = await findCellOrThrow(deps, cellSlug)
  const board = await findBoard(deps.db, cell.id, boardSlug)
  if (!board) throw notFound(t('board.board_not_found'))
  return { cell, board }
}

export async function cellOverview(deps: Deps, slug: string, session: Session | null) {
  const cell = await findCellOrThrow(deps, slug)
  const [line, boards, lettersWaiting] = await Promise.all([currentLine(deps.db, cell.id), listBoards(deps.db, cell.id), waitingLetters(deps, cell, session)])
  const names = parseTiers(cell.tiers)
  return {
    cell,
    line,
    boards: boards.map((b) => ({ ...b, ...boardAccess(cell, b) })),
    keyFingerprint: cell.key_fingerprint,
    keyRotationDue: cell.key_rotation_due,
    lettersWaiting,
    tiers: { names, vote: cell.vote_tier, inbox: cell.inbox_tier },
  }
}

/** Who reads and who posts on a board, as pages say it ("member and up"; null: anyone). */
export function boardAccess(cell: Pick<Cell, 'tiers'>, board: Pick<Board, 'read_tier' | 'post_tier'>): { readers: string | null; posters: string | null } {
  const tiers = parseTiers(cell.tiers)
  return { readers: board.read_tier && describeNeed(tiers, board.read_tier), posters: board.post_tier && describeNeed(tiers, board.post_tier) }
}

/**
 * A key, for verifying what it signed: to a viewer who may read something it signed, or to anyone
 * when a cell publishes it (a post on a board anyone reads, the roster, a question's voters and
 * ballots; db/keys.ts keyPublication), and to its own holder. A key whose posts are all on
 * boards the viewer may not read is "not found", as a key never seen: else its fingerprint, known
 * from elsewhere, would tell that it signed something here.
 */
export async function readPublishedKey(deps: Deps, fingerprint: string, session: Session | null): Promise<{ fingerprint: string; armored: string }> {
  const key = await findKey(deps.db, fingerprint.toLowerCase())
  // The same statements whether or not the key is kept here (no row: id -1, which matches nothing),
  // so that a kept key withheld from this viewer is not told apart from an unknown one by the time
  // its answer takes; and for a viewer with a session, its standing looked up once either way.
  const published = await keyPublication(deps.db, key?.id ?? -1)
  let readable = published.toAnyone || (key !== undefined && session?.fingerprint === key.fingerprint)
  for (const b of published.boards) if (!readable) readable = await canRead(deps, b, session)
  // No board to decide: a viewer with a session still has its standing looked up once (in no cell:
  // it answers no), as it would for a key kept from it.
  if (session && published.boards.length === 0 && !readable) await canRead(deps, { cell_id: -1, read_tier: 'none' }, session)
  if (!key || !readable) throw notFound(t('thread.key_not_found'))
  return { fingerprint: key.fingerprint, armored: key.armored }
}

/** A cell's line, every version newest first, each with the decision that made it. */
export async function readLineHistory(deps: Deps, slug: string) {
  const cell = await findCellOrThrow(deps, slug)
  return { cell, versions: await lineHistory(deps.db, cell.id) }
}

/**
 * Whether this viewer may read the board (services/access.ts decides every access): a board is
 * read from the least tier it names up, or by anyone. Every page, post, question and bundle that
 * shows what is on a board asks here (canRead, assertCanRead, openBoard).
 */
export const refusalToRead = (deps: Deps, board: Pick<Board, 'read_tier' | 'cell_id'>, session: Session | null): Promise<DomainError | null> =>
  refusal(deps, board.cell_id, board.read_tier, 'read', session)

/** Whether anyone, with no session at all, may read the board: what may be published about it. */
export const readableByAnyone = (board: Pick<Board, 'read_tier'>) => board.read_tier === null

/** Whether a board's pages ask to be indexed: its operator said so, and anyone reads it (else robots.txt and every page say no). */
export const asksToBeIndexed = (board: Pick<Board, 'read_tier' | 'indexable'>) => board.indexable === 1 && readableByAnyone(board)

/** The addresses of the boards robots.txt lets crawlers in: those that ask to be indexed, and no other. */
export async function indexableBoardPaths(deps: Deps): Promise<string[]> {
  return (await listIndexableBoards(deps.db)).map((b) => `/c/${b.cell}/${b.board}`)
}

export const canRead = async (deps: Deps, board: Pick<Board, 'read_tier' | 'cell_id'>, session: Session | null) => (await refusalToRead(deps, board, session)) === null

export async function assertCanRead(deps: Deps, board: Pick<Board, 'read_tier' | 'cell_id'>, session: Session | null): Promise<void> {
  const refusal = await refusalToRead(deps, board, session)
  if (refusal) throw refusal
}

/** A cell and board as kept between requests: without their counters, which would go stale. */
type Place = { cell: Omit<Cell, 'last_question_number'>; board: Omit<Board, 'last_thread_number' | 'thread_count'> }

declare const checked: unique symbol
/** A board this viewer may read. Only openBoard makes one: what is on a board is read through it. */
export type ReadableBoard = Place & { readonly [checked]: true }

/**
 * A board as a reader addresses it, with the access check done before anything about its
 * threads, pages or posts is looked up: a viewer who may not read it gets the same refusal for
 * every address under it, existing or not, and learns nothing about its size. Boards are looked
 * up once and kept in the page cache (a hot page then makes no query for them), tagged so a change
 * to the board drops them.
 */
/**
 * The language a cell's pages are in (null: no such cell), kept in the page cache: a page of the
 * cell asks for it before anything else. Changing it clears the whole cache (services/cells.ts).
 */
export async function cellLanguage(deps: Deps, cellSlug: string): Promise<string | null> {
  const key = cacheKey.cellLang(cellSlug)
  const kept = deps.cache.get<string>(key)
  if (kept) return kept.meta
  const since = deps.cache.epoch()
  const cell = await findCell(deps.db, cellSlug)
  if (!cell) return null
  deps.cache.set(key, { meta: cell.lang, bytes: new Uint8Array(0), tags: [] }, since)
  return cell.lang
}

export async function openBoard(deps: Deps, cellSlug: string, boardSlug: string, session: Session | null): Promise<ReadableBoard> {
  const key = cacheKey.place(cellSlug, boardSlug)
  let place = deps.cache.get<Place>(key)?.meta
  if (!place) {
    const since = deps.cache.epoch()
    const { cell: { last_question_number: _q, ...cell }, board: { last_thread_number: _t, thread_count: _n, ...board } } = await findBoardOrThrow(deps, cellSlug, boardSlug)
    place = { cell, board }
    deps.cache.set(key, { meta: place, bytes: new Uint8Array(0), tags: [cacheTag.board(board.id)] }, since)
  }
  await assertCanRead(deps, place.board, session)
  return place as ReadableBoard
}

const pagesFor = (count: number, perPage: number) => Math.max(1, Math.ceil(count / perPage))

function checkPage(page: number, pages: number): void {
  if (page > pages) throw new PastLastPage(t('board.page_not_found'), pages)
}

/** `first`: the number the page's first thread has in the board's list (numbering goes on across pages). */
export type BoardPageData = Place & { page: number; pages: number; first: number; threads: ThreadListing[] }

export async function readBoardPage(deps: Deps, at: ReadableBoard, page: number): Promise<BoardPageData> {
  const per = deps.config.threadsPerPage
  const { threads, total } = await listThreads(deps.db, at.board.id, per, (page - 1) * per, deps.storage.readRows)
  const pages = pagesFor(total, per)
  checkPage(page, pages)
  return { cell: at.cell, board: at.board, page, pages, first: (page - 1) * per + 1, threads }
}

export type ThreadPageData = Place & ThreadPageRead & { page: number; pages: number }

export async function readThreadPage(deps: Deps, at: ReadableBoard, threadNumber: number, page: number): Promise<ThreadPageData> {
  const per = deps.config.postsPerPage
  // The thread, its page of posts and each post's replies (as recorded when they were written,
  // post_reference) in one statement: the page is cached, so this runs only when a write has made
  // it stale, or the cache has let it go.
  const read = await readThreadPosts(deps.db, deps.storage.dialect, at.board.id, threadNumber, per, (page - 1) * per, deps.storage.readRows)
  if (!read) throw notFound(t('thread.thread_not_found'))
  const pages = pagesFor(read.thread.post_count, per)
  checkPage(page, pages)
  return { cell: at.cell, board: at.board, ...read, page, pages }
}

/**
 * Why post N of a thread is not there: its thread gave that number (numbers only grow), so it was
 * removed (410); or the thread never gave it, or is gone itself (404).
 */
async function missingPost(deps: Deps, at: ReadableBoard, threadNumber: number, number: number): Promise<DomainError> {
  const thread = await findThread(deps.db, at.board.id, threadNumber)
  return thread && number <= thread.last_number ? new PostRemoved(t('thread.post_removed', { number })) : notFound(t('thread.post_not_found'))
}

/** Which page of a thread shows post N (posts are paged in number order). */
export async function pageOfPost(deps: Deps, threadId: number, number: number): Promise<number> {
  return Math.floor((await countPostsBefore(deps.db, threadId, number)) / deps.config.postsPerPage) + 1
}

/** Where post N of a thread is shown: the page of its thread that holds it. */
export async function findPostPage(deps: Deps, at: ReadableBoard, threadNumber: number, number: number): Promise<number> {
  const post = await findSignedText(deps.db, { boardId: at.board.id, thread: threadNumber, number })
  if (!post) throw await missingPost(deps, at, threadNumber, number)
  return pageOfPost(deps, post.thread_id, number)
}

/** A post's OpenPGP cleartext-signed message, for gpg --verify. */
export async function readSignedText(deps: Deps, at: ReadableBoard, threadNumber: number, number: number): Promise<string> {
  const post = await findSignedText(deps.db, { boardId: at.board.id, thread: threadNumber, number })
  if (!post) throw await missingPost(deps, at, threadNumber, number)
  if (!post.signed_text) throw notFound(t('thread.signed_text_not_found'))
  return post.signed_text
}
