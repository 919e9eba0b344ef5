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
 * A post counted for its board before it is written: `written()` once it is (a post past the
 * threshold then holds the board in flood), `giveBack()` if it is refused instead, so that a
 * refused post neither counts nor holds the board.
 */
export type BoardCount = { written: () => Promise<void>; giveBack: () => Promise<void> }

/**
 * Before a post is written: counted for its board, and on a board in flood its cost paid with what
 * the form carries (cost_pow and cost_solution, or cost_puzzle and an answer), or it is refused
 * (422) with nothing kept and nothing counted. A form sent without any payment (shown before the
 * flood began) is told why.
 *
 * Counted before the write, in one step of the store's: of posts sent at the same moment, each is
 * told how many came before it in the minute. The post that passes the threshold lands and, once
 * written, begins the hold; each one after it pays, whether or not the hold has begun or been heard
 * of yet. Until 2026-12-07 a post was counted only once written, so every post of a burst passed
 * the check before the first was counted: 600 replies sent at once by 100 stored-up keys landed 302
 * to 520 times where 6 should have (tests/http/flood.test.ts, "all at once").
 */
export async function payForPost(deps: Deps, at: { cell: FloodCell; board: FloodBoard }, session: Session, form: Record<string, string | undefined>): Promise<BoardCount> {
  const asks = async () => deps.config.abuseCosts && !(await isExempt(deps, at.cell, session))
  // In flood already: paid first (a post that does not pay costs the server two HMACs or one
  // look-up, and counts against nothing), then counted, which holds the board longer once written.
  const held = await isInFlood(deps, at.board)
  if (held && (await asks())) await pay(deps, form)
  const counted = await countPost(deps, at.board.id)
  if (!held && at.board.flood === 'auto' && counted.past > 1 && (await asks())) {
    try {
      await pay(deps, form)
    } catch (e) {
      await counted.giveBack()
      throw e
    }
  }
  return counted
}

async function pay(deps: Deps, form: Record<string, string | undefined>): Promise<void> {
  if (!form.cost_solution?.trim() && !form.cost_puzzle) throw new DomainError(422, t('costs.flood_unpaid'), { cost: t('costs.field_check') })
  await payCost(deps, 'post', form)
}

/**
 * Count a post for its board. `past`: how far past the threshold the minute's count is with this
 * post (0: not past; 1: this post passed it). Once written, a post past it holds the board in flood
 * for holdMs from then, and a hold that begins drops every page of the board on every node (the
 * banner, the forms' check). A post a moment after this node held the board is counted with the
 * next one, up to a second later (FloodHolds.defer): it is past the threshold (this node holds the
 * board), and its count is not given back. A counter that cannot count asks for nothing, and a
 * hold that cannot be stored does not turn a written post into an error.
 */
async function countPost(deps: Deps, boardId: number): Promise<BoardCount & { past: number }> {
  const { postsPerMinute, holdMs } = deps.config.flood
  const nothing = async () => {}
  const hold = async () => {
    try {
      if (!(await deps.floodHolds.hold(boardId, deps.now() + holdMs))) await deps.cache.invalidate(cacheTag.board(boardId))
    } catch {
      // The post is written: nothing to tell its poster.
    }
  }
  if (deps.floodHolds.defer(boardId)) return { past: Infinity, written: hold, giveBack: nothing }
  const rule = { action: 'board-posts', points: postsPerMinute, windowMs: 60_000 }
  // Each minute of the board's own clock counted apart (the clock its holds are measured by).
  const key = `board:${boardId}:${Math.floor(deps.now() / 60_000)}`
  try {
    const n = await deps.rateLimits.count(rule, key, 1 + deps.floodHolds.deferred(boardId))
    return { past: Math.max(0, n - postsPerMinute), written: n > postsPerMinute ? hold : nothing, giveBack: () => deps.rateLimits.giveBack(rule, key).catch(() => {}) }
  } catch {
    return { past: 0, written: nothing, giveBack: nothing }
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
