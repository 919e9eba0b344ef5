import { DEFAULT_LANG, isLang, LANG_NAMES, LANGS, PSEUDO_LANG, t, type Spoken } from '../i18n/index.ts'
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
  if (!SLUG.test(v)) throw new DomainError(422, `Invalid ${field}.`, { [field]: 'Use 1–32 lowercase letters, digits and dashes, starting with a letter or digit.' })
  return v
}

export async function createCell(deps: Deps, input: { slug: string; name: string; principles: string[]; lang?: string }) {
  const v = validateFields(
    {
      slug: () => checkSlug('slug', input.slug),
      lang: () => checkLang(input.lang ?? DEFAULT_LANG),
      name: () => checkLine('name', input.name, 100, 'The name'),
      principles: () => input.principles.map((p, i) => checkLine('principles', p, 500, `Principle ${i + 1}`)),
    },
    'The cell was not created.',
  )
  if (v.principles.length > 50) throw new DomainError(422, 'A line has at most 50 principles.')
  if (await findCell(deps.db, v.slug)) throw new DomainError(409, `A cell named "${v.slug}" already exists.`)
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  return deps.db.transaction().execute(async (tx) => {
    const cell = await insertCell(tx, { slug: v.slug, name: v.name, createdAt, lang: v.lang }, v.principles)
    await recordOperatorAction(tx, cell.id, `created the cell, with a line of ${v.principles.length} principle${v.principles.length === 1 ? '' : 's'}`, createdAt)
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
    await recordOperatorAction(tx, cell.id, `set the cell’s language to ${LANG_NAMES[lang]} (${lang})`, at)
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
        if (RESERVED_BOARD_SLUGS.includes(input.slug)) throw new DomainError(422, 'Reserved name.', { slug: `"${input.slug}" names a page of the cell; choose another board name.` })
        return checkSlug('slug', input.slug)
      },
      name: () => checkLine('name', input.name, 100, 'The name'),
      description: () => (input.description.trim() === '' ? '' : checkLine('description', input.description, 300, 'The description')),
      tiers: () => boardTiers(cell, input.read, input.post),
      retentionDays: () => {
        const r = input.retentionDays
        if (r !== null && !(Number.isInteger(r) && r > 0 && r <= 36500)) throw new DomainError(422, 'bad retention', { retention: 'Retention is a whole number of days (1–36500), or none.' })
        return r
      },
    },
    'The board was not created.',
  )
  if ((await listBoards(deps.db, cell.id)).some((b) => b.slug === v.slug)) throw new DomainError(409, `The cell already has a board "${v.slug}".`)
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  return deps.db.transaction().execute(async (tx) => {
    const board = await insertBoard(tx, { cell_id: cell.id, slug: v.slug, name: v.name, description: v.description, read_tier: v.tiers.read, post_tier: v.tiers.post, retention_days: v.retentionDays, created_at: createdAt })
    await recordOperatorAction(tx, cell.id, `created the board "${v.slug}" (${sayBoardTiers(cell, v.tiers)}${v.retentionDays ? `, threads kept ${v.retentionDays} days` : ''})`, createdAt)
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
    await recordOperatorAction(tx, cell.id, `put the key ${key.fingerprint} on the roster at the tier ${tier}`, createdAt)
  })
  return key.fingerprint
}

/** A board's least read and post tiers, checked against the cell's: nobody may post where they cannot read. */
function boardTiers(cell: Pick<Cell, 'tiers'>, read: string | null | undefined, post: string | null | undefined): { read: string | null; post: string | null } {
  const tiers = parseTiers(cell.tiers)
  const r = tierOrAnyone(tiers, read, 'The read tier')
  const p = post === undefined ? r : tierOrAnyone(tiers, post, 'The post tier')
  if (!reaches(tiers, p, r)) throw new DomainError(422, 'Nobody may post where they cannot read: the post tier is the read tier or above.', { tiers: 'The post tier is the read tier or above.' })
  return { read: r, post: p }
}
const sayBoardTiers = (cell: Pick<Cell, 'tiers'>, t: { read: string | null; post: string | null }) =>
  `read by ${describeNeed(parseTiers(cell.tiers), t.read)}, posted to by ${describeNeed(parseTiers(cell.tiers), t.post)}`

/** The operator sets who reads and posts on a board. Published in the decision log. */
export async function setBoardAccess(deps: Deps, input: { cell: string; board: string; read: string; post?: string }) {
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  const t = boardTiers(cell, input.read, input.post)
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await setBoardTiers(tx, board.id, t)
    await recordOperatorAction(tx, cell.id, `set the board "${board.slug}" to be ${sayBoardTiers(cell, t)}`, at)
  })
  // Cached pages and places carry the board's tiers.
  await deps.cache.invalidate(cacheTag.board(board.id))
  return t
}

/**
 * The operator says whether a board asks search engines to index it (CLI); logged in the cell's
 * decision log, and its pages dropped (they carry a noindex or not). Only a board anyone reads may
 * ask: robots.txt must never name a board read from a tier up, nor its pages invite a crawler.
 */
export async function setBoardIndexing(deps: Deps, input: { cell: string; board: string; indexable: boolean }): Promise<void> {
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  if (input.indexable && board.read_tier !== null) throw new DomainError(422, `The board "${board.slug}" is read from the tier ${board.read_tier} up: only a board anyone reads can ask to be indexed.`)
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await setBoardIndexable(tx, board.id, input.indexable)
    await recordOperatorAction(tx, cell.id, input.indexable ? `asked search engines to index the board "${board.slug}"` : `asked search engines not to index the board "${board.slug}"`, at)
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
  const voteTier = tierOfCell(tiers, input.vote ?? cell.vote_tier, 'The vote tier')
  const inboxTier = tierOfCell(tiers, input.inbox ?? cell.inbox_tier, 'The inbox tier')
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await lockCell(tx, cell.id)
    const used = [...(await tiersHeld(tx, cell.id)), ...(await boardTiersNamed(tx, cell.id))].filter((t) => !tiers.includes(t))
    if (used.length > 0) throw new DomainError(409, `The tier${used.length === 1 ? '' : 's'} ${[...new Set(used)].join(', ')} still ${used.length === 1 ? 'is' : 'are'} held by a roster key or named by a board; move them first.`)
    await putCellTiers(tx, cell.id, { tiers, voteTier, inboxTier })
    await recordOperatorAction(tx, cell.id, `set the cell’s tiers to ${tiers.join(' < ')}; ${voteTier} and up vote, ${inboxTier} and up read letters`, at)
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
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(fingerprint)) throw new DomainError(422, 'That is not a fingerprint: a fingerprint is 40 (or 64) hex digits.')
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    if (!(await removeFromRoster(tx, cell.id, fingerprint, at))) throw new DomainError(404, `The key ${fingerprint} is not on the roster of ${cell.slug}.`)
    await recordOperatorAction(tx, cell.id, `removed the key ${fingerprint} from the roster`, at)
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

async function createDefaultCell(deps: Deps, slug: string) {
  await createCell(deps, { slug, name: slug.charAt(0).toUpperCase() + slug.slice(1), principles: ['Say what you mean; argue with what is said, not with who said it.', 'Nothing here asks who anyone is.'] })
  await createBoard(deps, { cell: slug, slug: 'general', name: 'General', description: 'Anything on the cell’s line.', retentionDays: null })
}
