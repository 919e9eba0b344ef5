import { listBoards, setBoardFlood } from '../db/boards.ts'
import { setFloodExemptRoster } from '../db/cells.ts'
import { recordOperatorAction } from '../db/decision-log.ts'
import { tierOf } from '../db/roster.ts'
import type { Board, Cell } from '../db/schema.ts'
import type { IssuedCost } from '../domain/costs.ts'
import { DomainError } from '../domain/errors.ts'
import { inFlood, isFloodSetting, type FloodSetting } from '../domain/flood.ts'
import { coarseTime } from '../domain/time.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { issueCost, payCost } from './costs.ts'
import type { Deps } from './deps.ts'
import { cacheTag } from './page-cache.ts'
import { findBoardOrThrow, findCellOrThrow } from './reading.ts'
import { t, tIn } from '../i18n/index.ts'
import { langOfCell } from './letters.ts'

// Flood mode (domain/flood.ts): every published post on a board is counted, per board and never
// per key, in the ephemeral store; a minute past config.flood.postsPerMinute holds the board in
// flood for config.flood.holdMs after it. While it is in flood (or the operator turned it on),
// each post there pays the cost a new identity pays (services/costs.ts), for the purpose 'post';
// keys on the cell's roster do not, unless the cell says they do. With ABUSE_COSTS=off the board
// still says it is in flood, and nothing is asked.

type FloodBoard = Pick<Board, 'id' | 'flood'>
type FloodCell = Pick<Cell, 'id' | 'flood_exempt_roster'>

/** Whether the board is in flood now: its setting, or for 'auto' whether its rate holds it there. */
export async function isInFlood(deps: Deps, board: FloodBoard): Promise<boolean> {
  if (board.flood !== 'auto') return inFlood(board.flood, null, deps.now())
  return inFlood('auto', await deps.floodHolds.heldUntil(board.id), deps.now())
}

/** Whether this session's posts go free in a flood: its key is on the roster of a cell that exempts it. */
async function isExempt(deps: Deps, cell: FloodCell, session: Session | null): Promise<boolean> {
  return session !== null && cell.flood_exempt_roster === 1 && (await tierOf(deps.db, cell.id, session.fingerprint)) !== null
}

/** What a board's and a thread's pages show of flood mode. */
export type FloodView = {
  inFlood: boolean
  /** Whether posts here ask for a check now (in flood, costs on): the banner says so. */
  asks: boolean
  /** The viewer's key is on the roster and the cell exempts it. */
  exempt: boolean
  /** The cost for the viewer's posting form (in flood, with an identity, not exempt, costs on). */
  cost: IssuedCost | null
}

/** Flood mode as this viewer sees it on a board; a cost is issued only when a form must show it. */
export async function floodFor(deps: Deps, at: { cell: FloodCell; board: FloodBoard }, session: Session | null): Promise<FloodView> {
  if (!(await isInFlood(deps, at.board))) return { inFlood: false, asks: false, exempt: false, cost: null }
  const exempt = await isExempt(deps, at.cell, session)
  const cost = session && !exempt ? await issueCost(deps, 'post') : null
  return { inFlood: true, asks: deps.config.abuseCosts, exempt, cost }
}


/**
 * Before a post is written: on a board in flood, its cost is paid with what the form carries
 * (cost_pow and cost_solution, or cost_puzzle and an answer), or it is refused (422) with nothing
 * kept. A form sent without any payment (shown before the flood began) is told why.
 */
export async function payForPost(deps: Deps, at: { cell: FloodCell; board: FloodBoard }, session: Session, form: Record<string, string | undefined>): Promise<void> {
  if (!deps.config.abuseCosts || !(await isInFlood(deps, at.board)) || (await isExempt(deps, at.cell, session))) return
  if (!form.cost_solution?.trim() && !form.cost_puzzle) throw new DomainError(422, t('costs.flood_unpaid'), { cost: t('costs.field_check') })
  await payCost(deps, 'post', form)
}

/**
 * After a post is published: count it for its board. The post that passes the threshold in a
 * minute (and each one after it in that minute) holds the board in flood for holdMs from now. The
 * post is written already: a counter that cannot count does not turn it into an error. Returns
 * whether this post began the hold (every page of the board then changes). A post a moment after
 * this node held the board is counted with the next one, up to a second later (FloodHolds.defer).
 */
export async function countPost(deps: Deps, boardId: number): Promise<boolean> {
  const { postsPerMinute, holdMs } = deps.config.flood
  if (deps.floodHolds.defer(boardId)) return false
  try {
    const count = 1 + deps.floodHolds.deferred(boardId)
    const over = await deps.rateLimits.take({ action: 'board-posts', points: postsPerMinute, windowMs: 60_000 }, `board:${boardId}`, count)
    if (over === null) return false
    return !(await deps.floodHolds.hold(boardId, deps.now() + holdMs))
  } catch {
    // As above: nothing to tell the poster.
    return false
  }
}


/** The operator sets a board's flood mode (CLI); logged in the cell's decision log, and its pages dropped. */
export async function setBoardFloodMode(deps: Deps, input: { cell: string; board: string; setting: string }): Promise<FloodSetting> {
  const setting = input.setting
  if (!isFloodSetting(setting)) throw new DomainError(422, t('costs.flood_setting'))
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await setBoardFlood(tx, board.id, setting)
    await recordOperatorAction(tx, cell.id, tIn(langOfCell(cell), `costs.op_flood_${setting}`, { board: board.slug }), at)
  })
  // Its pages (and the board as cached for access checks) say whether it is in flood.
  await deps.cache.invalidate(cacheTag.board(board.id))
  return setting
}

/** The operator says whether roster keys post without a check while a board of the cell is in flood (CLI). */
export async function setRosterFloodExemption(deps: Deps, input: { cell: string; exempt: boolean }): Promise<void> {
  const cell = await findCellOrThrow(deps, input.cell)
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await setFloodExemptRoster(tx, cell.id, input.exempt)
    await recordOperatorAction(tx, cell.id, tIn(langOfCell(cell), input.exempt ? 'costs.op_exempt' : 'costs.op_not_exempt'), at)
  })
  // Every board of the cell is cached with the cell's row (and its forms show a check or not).
  const boards = await listBoards(deps.db, cell.id)
  if (boards.length > 0) await deps.cache.invalidate(...boards.map((b) => cacheTag.board(b.id)))
}
