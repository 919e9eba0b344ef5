import { DEFAULT_LANG, isLang, LANG_NAMES, LANGS, PSEUDO_LANG, t, tIn, type Lang, type Spoken } from '../i18n/index.ts'
import { boardTiersNamed, insertBoard, listBoards, setBoardIndexable, setBoardTiers } from '../db/boards.ts'
import { findCell, insertCell, listCells, lockCell, putCellTiers } from '../db/cells.ts'
import { ensureKey } from '../db/keys.ts'
import { recordOperatorAction } from '../db/decision-log.ts'
import { listRoster, putRosterEntry, tiersHeld } from '../db/roster.ts'
import type { Cell } from '../db/schema.ts'
import { DomainError, validateFields } from '../domain/errors.ts'
import { checkLine, SLUG } from '../domain/text.ts'
import { coarseTime } from '../domain/time.ts'
import { checkTierList, describeNeed, parseTiers, reaches, tierOfCell, tierOrAnyone } from '../domain/tiers.ts'
import { forgetSigningKey, readPublicKey } from '../pgp.ts'
import type { Deps } from './deps.ts'
import { removeFromRoster } from './key-transitions.ts'
import { cacheTag } from './page-cache.ts'
import { findBoardOrThrow, findCellOrThrow } from './reading.ts'

// Operator use cases (the CLI): cells, boards and the first roster are set up here. After that the
// roster and the line change by the cell's votes (services/questions/), and every operator action
// is published in the cell's decision log.

// A cell's own pages live beside its boards (/c/CELL/questions): no board may take those names.
const RESERVED_BOARD_SLUGS = ['questions', 'line', 'decisions', 'letters', 'key-transitions', 'search']

const checkSlug = (field: string, v: string) => {
  if (!SLUG.test(v)) throw new DomainError(422, t('cell.slug_invalid'), { [field]: t('cell.slug_rule') })
  return v
}

export async function createCell(deps: Deps, input: { slug: string; name: string; principles: string[]; lang?: string }) {
  const v = validateFields(
    {
      slug: () => checkSlug('slug', input.slug),
      lang: () => checkLang(input.lang ?? DEFAULT_LANG),
      name: () => checkLine('name', input.name, 100, t('cell.label_name')),
      principles: () => input.principles.map((p, i) => checkLine('principles', p, 500, t('cell.label_principle', { n: i + 1 }))),
    },
    t('cell.cell_not_created'),
  )
  if (v.principles.length > 50) throw new DomainError(422, t('cell.too_many_principles'))
  if (await findCell(deps.db, v.slug)) throw new DomainError(409, t('cell.cell_exists', { slug: v.slug }))
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  return deps.db.transaction().execute(async (tx) => {
    const cell = await insertCell(tx, { slug: v.slug, name: v.name, createdAt, lang: v.lang }, v.principles)
    // Stored in the decision log, so written in the cell's language.
    await recordOperatorAction(tx, cell.id, tIn(v.lang, 'cell.oplog_created_cell', { count: v.principles.length }), createdAt)
    return cell
  })
}

function checkLang(code: string): Spoken {
  if (!isLang(code) || code === PSEUDO_LANG) throw new DomainError(422, t('errors.lang_unknown', { code, langs: LANGS.join(', ') }), { lang: t('errors.lang_unknown', { code, langs: LANGS.join(', ') }) })
  return code
}

/** The operator sets the cell's language: its pages, feeds and archive are in it from now on (cached pages go). */
export async function setCellLang(deps: Deps, input: { cell: string; lang: string }): Promise<void> {
  const cell = await findCellOrThrow(deps, input.cell)
  const lang = checkLang(input.lang)
  if (cell.lang === lang) return
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await tx.updateTable('cell').set({ lang }).where('id', '=', cell.id).execute()
    await recordOperatorAction(tx, cell.id, tIn(lang, 'cell.oplog_lang', { name: LANG_NAMES[lang], code: lang }), at)
  })
  // Every page of the cell is in the old language, and so is the language remembered for its address.
  await deps.cache.clear()
}

export async function createBoard(
  deps: Deps,
  input: { cell: string; slug: string; name: string; description: string; read?: string | null; post?: string | null; retentionDays: number | null },
) {
  const cell = await findCellOrThrow(deps, input.cell)
  const v = validateFields(
    {
      slug: () => {
        if (RESERVED_BOARD_SLUGS.includes(input.slug)) throw new DomainError(422, t('cell.reserved_name'), { slug: t('cell.reserved_name_field', { slug: input.slug }) })
        return checkSlug('slug', input.slug)
      },
      name: () => checkLine('name', input.name, 100, t('cell.label_name')),
      description: () => (input.description.trim() === '' ? '' : checkLine('description', input.description, 300, t('cell.label_description'))),
      tiers: () => boardTiers(cell, input.read, input.post),
      retentionDays: () => {
        const r = input.retentionDays
        if (r !== null && !(Number.isInteger(r) && r > 0 && r <= 36500)) throw new DomainError(422, t('cell.retention_rule'), { retention: t('cell.retention_rule') })
        return r
      },
    },
    t('cell.board_not_created'),
  )
  if ((await listBoards(deps.db, cell.id)).some((b) => b.slug === v.slug)) throw new DomainError(409, t('cell.board_exists', { slug: v.slug }))
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  return deps.db.transaction().execute(async (tx) => {
    const board = await insertBoard(tx, { cell_id: cell.id, slug: v.slug, name: v.name, description: v.description, read_tier: v.tiers.read, post_tier: v.tiers.post, retention_days: v.retentionDays, created_at: createdAt })
    const said = { board: v.slug, ...sayBoardTiers(cell, v.tiers) }
    await recordOperatorAction(tx, cell.id, v.retentionDays ? tIn(langOf(cell), 'cell.oplog_created_board_kept', { ...said, days: v.retentionDays }) : tIn(langOf(cell), 'cell.oplog_created_board', said), createdAt)
    return board
  })
}

export async function addRosterKey(deps: Deps, input: { cell: string; armoredKey: string; tier: string }) {
  const cell = await findCellOrThrow(deps, input.cell)
  const tier = tierOfCell(parseTiers(cell.tiers), input.tier)
  const key = await readPublicKey(input.armoredKey)
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    const keyId = await ensureKey(tx, { fingerprint: key.fingerprint, armored: key.armored, createdAt })
    await putRosterEntry(tx, { cellId: cell.id, keyId, tier, createdAt })
    await recordOperatorAction(tx, cell.id, tIn(langOf(cell), 'cell.oplog_roster_add', { fingerprint: key.fingerprint, tier }), createdAt)
  })
  return key.fingerprint
}

/** A board's least read and post tiers, checked against the cell's: nobody may post where they cannot read. */
function boardTiers(cell: Pick<Cell, 'tiers'>, read: string | null | undefined, post: string | null | undefined): { read: string | null; post: string | null } {
  const tiers = parseTiers(cell.tiers)
  const r = tierOrAnyone(tiers, read, 'read')
  const p = post === undefined ? r : tierOrAnyone(tiers, post, 'post')
  if (!reaches(tiers, p, r)) throw new DomainError(422, t('cell.post_below_read'), { tiers: t('cell.post_below_read_field') })
  return { read: r, post: p }
}
/** Who reads and who posts on a board, as the decision log says it (in the cell's language). */
const sayBoardTiers = (cell: Pick<Cell, 'tiers' | 'lang'>, need: { read: string | null; post: string | null }) => ({
  readers: describeNeed(parseTiers(cell.tiers), need.read, langOf(cell)),
  posters: describeNeed(parseTiers(cell.tiers), need.post, langOf(cell)),
})
/** The language a cell's stored text (its decision log) is written in. */
const langOf = (cell: Pick<Cell, 'lang'>): Lang => (isLang(cell.lang) ? cell.lang : DEFAULT_LANG)

/** The operator sets who reads and posts on a board. Published in the decision log. */
export async function setBoardAccess(deps: Deps, input: { cell: string; board: string; read: string; post?: string }) {
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  const need = boardTiers(cell, input.read, input.post)
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await setBoardTiers(tx, board.id, need)
    await recordOperatorAction(tx, cell.id, tIn(langOf(cell), 'cell.oplog_board_access', { board: board.slug, ...sayBoardTiers(cell, need) }), at)
  })
  // Cached pages and places carry the board's tiers.
  await deps.cache.invalidate(cacheTag.board(board.id))
  return need
}

/**
 * The operator says whether a board asks search engines to index it (CLI); logged in the cell's
 * decision log, and its pages dropped (they carry a noindex or not). Only a board anyone reads may
 * ask: robots.txt must never name a board read from a tier up, nor its pages invite a crawler.
 */
export async function setBoardIndexing(deps: Deps, input: { cell: string; board: string; indexable: boolean }): Promise<void> {
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  if (input.indexable && board.read_tier !== null) throw new DomainError(422, t('cell.index_private', { board: board.slug, tier: board.read_tier }))
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await setBoardIndexable(tx, board.id, input.indexable)
    await recordOperatorAction(tx, cell.id, tIn(langOf(cell), input.indexable ? 'cell.oplog_index_on' : 'cell.oplog_index_off', { board: board.slug }), at)
  })
  await deps.cache.invalidate(cacheTag.board(board.id))
}

/**
 * The operator names the cell's tiers, lowest first, and the least tiers that vote and read the
 * inbox. A tier that a roster key holds or a board names cannot go (move them first): nobody's
 * access changes by a rename they did not see.
 */
export async function setCellTiers(deps: Deps, input: { cell: string; tiers: string; vote?: string; inbox?: string }) {
  const cell = await findCellOrThrow(deps, input.cell)
  const tiers = checkTierList(input.tiers)
  const voteTier = tierOfCell(tiers, input.vote ?? cell.vote_tier, 'vote')
  const inboxTier = tierOfCell(tiers, input.inbox ?? cell.inbox_tier, 'inbox')
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await lockCell(tx, cell.id)
    const used = [...(await tiersHeld(tx, cell.id)), ...(await boardTiersNamed(tx, cell.id))].filter((t) => !tiers.includes(t))
    if (used.length > 0) throw new DomainError(409, t('cell.tiers_in_use', { count: used.length, tiers: [...new Set(used)].join(', ') }))
    await putCellTiers(tx, cell.id, { tiers, voteTier, inboxTier })
    await recordOperatorAction(tx, cell.id, tIn(langOf(cell), 'cell.oplog_tiers', { tiers: tiers.join(' < '), vote: voteTier, inbox: inboxTier }), at)
  })
  const boards = await listBoards(deps.db, cell.id)
  if (boards.length > 0) await deps.cache.invalidate(...boards.map((b) => cacheTag.board(b.id)))
  return { tiers, voteTier, inboxTier }
}

/**
 * The operator's "roster remove": the key leaves the roster, logged in the decision log; the cell
 * then owes a rotation of its key (removeFromRoster); the key's sessions end once it has committed.
 */
export async function removeRosterKey(deps: Deps, input: { cell: string; fingerprint: string }): Promise<{ rotationDue: boolean }> {
  const cell = await findCellOrThrow(deps, input.cell)
  const fingerprint = input.fingerprint.replace(/\s+/g, '').toLowerCase()
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(fingerprint)) throw new DomainError(422, t('cell.not_fingerprint'))
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    if (!(await removeFromRoster(tx, cell.id, fingerprint, at))) throw new DomainError(404, t('cell.not_on_roster', { fingerprint, cell: cell.slug }))
    await recordOperatorAction(tx, cell.id, tIn(langOf(cell), 'cell.oplog_roster_remove', { fingerprint }), at)
  })
  // Where sessions live in Redis, on every node; in one server's memory, that server's roster checks
  // (made at every request) already refuse the key.
  await deps.sessions.deleteByFingerprint(fingerprint)
  forgetSigningKey(fingerprint)
  return { rotationDue: cell.key_fingerprint !== null }
}

export const listAllCells = (deps: Deps) => listCells(deps.db)
export const listCellBoards = async (deps: Deps, cell: string) => listBoards(deps.db, (await findCellOrThrow(deps, cell)).id)
export const listCellRoster = async (deps: Deps, cell: string) => listRoster(deps.db, (await findCellOrThrow(deps, cell)).id)

/** On an empty database, one cell with a public board, so a newcomer sees a working board at once. */
export async function ensureDefaultCell(deps: Deps): Promise<boolean> {
  if ((await listCells(deps.db)).length > 0) return false
  const slug = deps.config.defaultCell
  try {
    await createDefaultCell(deps, slug)
  } catch (e) {
    // Another node starting at the same moment made it first.
    if ((await listCells(deps.db)).length > 0) return false
    throw e
  }
  return true
}

/** Its line and board are stored text: written in the server's language, which the cell takes. */
async function createDefaultCell(deps: Deps, slug: string) {
  const lang = deps.config.defaultLang
  await createCell(deps, { slug, name: slug.charAt(0).toUpperCase() + slug.slice(1), lang, principles: [tIn(lang, 'cell.default_principle_1'), tIn(lang, 'cell.default_principle_2')] })
  await createBoard(deps, { cell: slug, slug: 'general', name: tIn(lang, 'cell.default_board_name'), description: tIn(lang, 'cell.default_board_description'), retentionDays: null })
}
