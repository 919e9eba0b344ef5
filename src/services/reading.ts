import { findBoard, listBoards } from '../db/boards.ts'
import { currentLine, findCell, listCells } from '../db/cells.ts'
import { countPostsBefore, listPosts, type PostView } from '../db/posts.ts'
import { roleOf } from '../db/roster.ts'
import type { Board, Cell } from '../db/schema.ts'
import { countThreads, findThread, listThreads, type ThreadListing } from '../db/threads.ts'
import { DomainError, notFound } from '../domain/errors.ts'
import type { Session } from '../ephemeral/sessions.ts'
import type { Deps } from './deps.ts'
import { assertKeyStillValid } from './identities.ts'

export const homeCells = (deps: Deps) => listCells(deps.db)

export async function findCellOrThrow(deps: Pick<Deps, 'db'>, slug: string): Promise<Cell> {
  const cell = await findCell(deps.db, slug)
  if (!cell) throw notFound('That cell')
  return cell
}

export async function findBoardOrThrow(deps: Pick<Deps, 'db'>, cellSlug: string, boardSlug: string): Promise<{ cell: Cell; board: Board }> {
  const cell = await findCellOrThrow(deps, cellSlug)
  const board = await findBoard(deps.db, cell.id, boardSlug)
  if (!board) throw notFound('That board')
  return { cell, board }
}

export async function cellOverview(deps: Deps, slug: string) {
  const cell = await findCellOrThrow(deps, slug)
  const [line, boards] = await Promise.all([currentLine(deps.db, cell.id), listBoards(deps.db, cell.id)])
  return { cell, line, boards }
}

/**
 * Need-to-know: a members-only board is read (and posted to) only by keys on the cell's roster.
 * Public boards need no check at all.
 */
export async function assertCanRead(deps: Deps, board: Pick<Board, 'visibility' | 'cell_id'>, session: Session | null): Promise<void> {
  if (board.visibility === 'public') return
  if (!session) throw new DomainError(403, 'This board is for members of the cell. Log in with a key on the cell’s roster to read it.')
  // The roster names keys, and a key may expire while its session lives on: check it at each read.
  await assertKeyStillValid(deps, session, 'read')
  if ((await roleOf(deps.db, board.cell_id, session.fingerprint)) === null) {
    throw new DomainError(403, 'This board is for members of the cell, and your key is not on its roster.')
  }
}

const pagesFor = (count: number, perPage: number) => Math.max(1, Math.ceil(count / perPage))

function checkPage(page: number, pages: number): void {
  if (page > pages) throw notFound('That page')
}

export type BoardPageData = { cell: Cell; board: Board; page: number; pages: number; threads: ThreadListing[] }

export async function readBoardPage(deps: Deps, cellSlug: string, boardSlug: string, page: number): Promise<BoardPageData> {
  const { cell, board } = await findBoardOrThrow(deps, cellSlug, boardSlug)
  const per = deps.config.threadsPerPage
  const [threads, count] = await Promise.all([listThreads(deps.db, board.id, per, (page - 1) * per), countThreads(deps.db, board.id)])
  const pages = pagesFor(count, per)
  checkPage(page, pages)
  return { cell, board, page, pages, threads }
}

export type ThreadPageData = { cell: Cell; board: Board; thread: { id: number; number: number; title: string; post_count: number }; page: number; pages: number; posts: PostView[] }

export async function readThreadPage(deps: Deps, cellSlug: string, boardSlug: string, threadNumber: number, page: number): Promise<ThreadPageData> {
  const { cell, board } = await findBoardOrThrow(deps, cellSlug, boardSlug)
  const thread = await findThread(deps.db, board.id, threadNumber)
  if (!thread) throw notFound('That thread')
  const per = deps.config.postsPerPage
  const pages = pagesFor(thread.post_count, per)
  checkPage(page, pages)
  const posts = await listPosts(deps.db, thread.id, per, (page - 1) * per)
  return { cell, board, thread: { id: thread.id, number: thread.number, title: thread.title, post_count: thread.post_count }, page, pages, posts }
}

/** Which page of a thread shows post N (posts are paged in number order). */
export async function pageOfPost(deps: Deps, threadId: number, number: number): Promise<number> {
  return Math.floor((await countPostsBefore(deps.db, threadId, number)) / deps.config.postsPerPage) + 1
}
