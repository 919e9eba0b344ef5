import { plainTextOf } from '../domain/markdown.ts'
import { boardsForSearch } from '../db/boards.ts'
import type { Cell } from '../db/schema.ts'
import { findSearchHits } from '../db/search.ts'
import { DomainError } from '../domain/errors.ts'
import { markMatches, MAX_PAGES, parseSearchQuery, RESULTS_PER_PAGE, type Piece } from '../domain/search.ts'
import { GateDeadline } from '../ephemeral/gate.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { t } from '../i18n/index.ts'
import { refusal } from './access.ts'
import type { Deps } from './deps.ts'
import { findCellOrThrow } from './reading.ts'

// Search over what this reader may read: the boards are filtered by the one access decision
// (services/access.ts) before the query, so a board the reader may not read is never searched,
// and its posts cannot show, be counted or be told apart from no match at all.

export type SearchResult = {
  href: string
  cell: { slug: string; name: string }
  /** `readers`: the least tier that reads it, shown beside a result as on the board's page; null: anyone. */
  board: { slug: string; name: string; readers: string | null }
  thread: number
  number: number
  title: Piece[]
  body: Piece[]
  createdAt: string
}
/** `partial`: only the newest matches on the site were looked through (db/search-sqlite.ts); older posts here may match too. */
export type SearchPage = { cell: Pick<Cell, 'slug' | 'name'> | null; q: string; page: number; results: SearchResult[]; more: boolean; capped: boolean; partial: boolean }

/**
 * The boards (of one cell, or all) this viewer may read, and every board on the site they may not
 * (`hidden`: SQLite's search passes over their matches uncounted); each cell's tier decided once.
 */
export async function readableBoardIds(deps: Deps, cellId: number | null, session: Session | null): Promise<{ ids: number[]; hidden: number[] }> {
  const decided = new Map<string, Promise<boolean>>()
  const [ids, hidden]: number[][] = [[], []]
  // Only SQLite's search needs the boards hidden elsewhere on the site; PostgreSQL's index takes
  // the boards searched, and a cell's search decides that cell's tiers only.
  for (const b of await boardsForSearch(deps.db, deps.storage.dialect === 'sqlite' ? null : cellId)) {
    let readable = b.read_tier === null
    if (!readable) {
      const need = `${b.cell_id} ${b.read_tier}`
      if (!decided.has(need)) decided.set(need, refusal(deps, b.cell_id, b.read_tier, 'read', session).then((r) => r === null))
      readable = await decided.get(need)!
    }
    if (!readable) hidden.push(b.id)
    else if (cellId === null || b.cell_id === cellId) ids.push(b.id)
  }
  return { ids, hidden }
}

/**
 * One page of results, newest first; a query that cannot be searched is refused (422) with why, a
 * search the node cannot take now is told it is busy (503). `gone`: aborted when the asker hangs
 * up (a search still waiting its turn is then dropped).
 */
export async function searchPosts(deps: Deps, input: { cell: string | null; q: string; page: number }, session: Session | null, gone?: AbortSignal): Promise<SearchPage> {
  const cell = input.cell === null ? null : await findCellOrThrow(deps, input.cell)
  const query = parseSearchQuery(input.q)
  if (input.page > MAX_PAGES) {
    const why = t('search.too_deep', { count: MAX_PAGES })
    throw new DomainError(422, why, { q: why })
  }
  // The search, one of this process at a time (deps.searches): a crowd of searches waits its turn,
  // or is told at once that the node is busy (costing a page, not the boards' lookup), instead of
  // taking the reader from every page the cache has not kept. One held past the gate's deadline
  // is told the same.
  const busy = () => {
    const why = t('search.busy')
    return new DomainError(503, why, { q: why })
  }
  const ran = await deps.searches
    .run(async () => {
      const { ids: boardIds, hidden } = await readableBoardIds(deps, cell?.id ?? null, session)
      // One more than a page: whether there is a next one.
      const { ids, partial } = await deps.storage.searchPosts({ terms: query.terms, boardIds, hidden, limit: RESULTS_PER_PAGE + 1, offset: (input.page - 1) * RESULTS_PER_PAGE })
      return { ids, partial, hits: await findSearchHits(deps.db, ids.slice(0, RESULTS_PER_PAGE), deps.storage.readRows) }
    }, gone)
    .catch((e: unknown) => {
      throw e instanceof GateDeadline ? busy() : e
    })
  if (ran === null) throw busy()
  const { ids, partial, hits } = ran.value
  return {
    cell: cell && { slug: cell.slug, name: cell.name },
    q: query.text,
    page: input.page,
    more: ids.length > RESULTS_PER_PAGE && input.page < MAX_PAGES,
    // The last page shown with more beyond it: the page says so, and how to narrow the search.
    capped: ids.length > RESULTS_PER_PAGE && input.page >= MAX_PAGES,
    partial,
    results: hits.map((h) => ({
      href: `/c/${h.cell}/${h.board}/t/${h.thread}/p/${h.number}`,
      cell: { slug: h.cell, name: h.cellName },
      board: { slug: h.board, name: h.boardName, readers: h.readTier },
      thread: h.thread,
      number: h.number,
      // A reply shows its thread's title unmarked: only an opening post matches by its title.
      title: h.number === 1 ? markMatches(h.title, query.terms, 200) : [{ text: h.title, mark: false }],
      // What the poster wrote, without its Markdown marks (**, >, list bullets), as the board's excerpts show it.
      body: markMatches(plainTextOf(h.body_source), query.terms),
      createdAt: h.created_at,
    })),
  }
}
