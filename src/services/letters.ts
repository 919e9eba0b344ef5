import { randomBytes } from 'node:crypto'
import { clearKeyRotationDue, putCellKey, putLetterRetention } from '../db/cells.ts'
import { recordOperatorAction } from '../db/decision-log.ts'
import { countLetters, deleteLetters, insertLetter, listLetters } from '../db/letters.ts'
import type { Cell } from '../db/schema.ts'
import { DomainError } from '../domain/errors.ts'
import { MAX_ARMORED_LETTER_BYTES, paddedLetter, readReference, referenceFrom } from '../domain/letters.ts'
import { coarseTime } from '../domain/time.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { type CellKey, checkLetterCiphertext, encryptLetter, readCellKey } from '../pgp.ts'
import { payCost } from './costs.ts'
import type { Deps } from './deps.ts'
import { finishRemoval, finishRemovalInServer } from './forget.ts'
import { may } from './access.ts'
import { findBoardOrThrow, findCellOrThrow } from './reading.ts'
import { DEFAULT_LANG, isLang, t, tIn, type Lang } from '../i18n/index.ts'

// Letters to a cell (issue 12). Anyone may write one, at the cost of taking an identity; it is
// stored only as ciphertext to the cell key, whose private key is never here. Those who read the
// cell's inbox (mayReadInbox) see how many wait and download them; everyone else learns nothing
// about them, not even that there are any, unless the inbox is full (refuseWhenFull).

/**
 * A cell key as the operator offers it (to set, or to rotate to): never a private key, which is
 * refused before anything is parsed, so it is not even briefly read here; then the cell key policy.
 */
/** The language of text stored for a cell (its decision log): the cell's own. */
export const langOfCell = (cell: { lang: string }): Lang => (isLang(cell.lang) ? cell.lang : DEFAULT_LANG)

export async function readOfferedCellKey(deps: Deps, armored: string): Promise<CellKey> {
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armored)) {
    throw new DomainError(422, t('letters.private_key_given'))
  }
  return readCellKey(armored, new Date(deps.now()))
}

/**
 * The operator's "cell key set": the cell's public key, to which letters are encrypted. A new key
 * (not the same one set again) also settles a rotation the cell owed (services/key-transitions.ts).
 */
export async function setCellKey(deps: Deps, input: { cell: string; armoredKey: string }): Promise<{ fingerprint: string }> {
  const cell = await findCellOrThrow(deps, input.cell)
  const key = await readOfferedCellKey(deps, input.armoredKey)
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  await deps.db.transaction().execute(async (tx) => {
    await putCellKey(tx, cell.id, { fingerprint: key.fingerprint, armored: key.armored })
    if (key.fingerprint !== cell.key_fingerprint) await clearKeyRotationDue(tx, cell.id)
    await recordOperatorAction(tx, cell.id, tIn(langOfCell(cell), 'keys.op_set_key', { fingerprint: key.fingerprint }), at)
  })
  await deps.cache.clear()
  return { fingerprint: key.fingerprint }
}

/** The operator's "letters retention": days a letter not marked handled is kept. */
export async function setLetterRetention(deps: Deps, input: { cell: string; days: number }): Promise<void> {
  const cell = await findCellOrThrow(deps, input.cell)
  if (!(Number.isInteger(input.days) && input.days >= 1 && input.days <= 36500)) throw new DomainError(422, t('letters.retention_range'))
  await putLetterRetention(deps.db, cell.id, input.days)
}

/** A cell's public key, for /c/CELL/key.asc; 404 for a cell that has none. */
export async function readCellKeyOf(deps: Deps, slug: string): Promise<{ fingerprint: string; armored: string }> {
  const cell = await findCellOrThrow(deps, slug)
  if (!cell.key_armored || !cell.key_fingerprint) throw new DomainError(404, t('letters.no_key'))
  return { fingerprint: cell.key_fingerprint, armored: cell.key_armored }
}

/** What the letter form needs: the cell, and its key's fingerprint (null: the cell takes no letters). */
export async function letterFormOf(deps: Deps, slug: string) {
  const cell = await findCellOrThrow(deps, slug)
  return { cell: { slug: cell.slug, name: cell.name }, fingerprint: cell.key_fingerprint }
}

export type LetterInput = { cell: string; text: string; ciphertext: string; cost: Record<string, string | undefined> }

/**
 * Take a letter: written in the form (JavaScript off: padded and encrypted here, in this
 * request's memory, before anything is written) or encrypted in the browser (checked: to the cell
 * key only, padded). The cost is paid after the cheap checks and before any OpenPGP work. Returns
 * the reference given to the writer; it is stored only beside the ciphertext.
 */
export async function sendLetter(deps: Deps, input: LetterInput): Promise<{ reference: string }> {
  const cell = await findCellOrThrow(deps, input.cell)
  if (!cell.key_armored) throw new DomainError(409, t('letters.no_key_nothing_kept'))
  const ciphertext = input.ciphertext.trim()
  let padded: Uint8Array | null = null
  if (ciphertext) {
    if (input.text.trim() !== '') {
      const message = t('letters.both_forms')
      throw new DomainError(422, message, { text: message })
    }
    if (Buffer.byteLength(ciphertext) > MAX_ARMORED_LETTER_BYTES) throw new DomainError(413, t('letters.too_large', { kib: MAX_ARMORED_LETTER_BYTES / 1024 }), { text: t('letters.shorten') })
  } else {
    padded = paddedLetter(input.text)
  }
  await payCost(deps, 'letter', input.cost)
  const now = new Date(deps.now())
  const stored = padded ? await encryptLetter(padded, cell.key_armored, now) : (await checkLetterCiphertext(ciphertext, cell.key_armored, now)).armored
  padded?.fill(0)
  // Whether the inbox is full: told only to a writer who paid for a letter (a check each time), not
  // to anyone asking as often as they like; asked just before the insert (letters in flight at once
  // may pass the bound by as many: it is for a script's thousands, not for one letter more).
  await refuseWhenFull(deps, cell.id)
  const reference = referenceFrom(randomBytes(10))
  await insertLetter(deps.db, { cellId: cell.id, reference, ciphertext: stored, receivedAt: coarseTime(deps.now(), deps.config.timeGranularityMs) })
  return { reference }
}

/**
 * A cell keeps LETTERS_WAITING_MAX letters waiting at most. A letter costs its writer a check that a
 * script can pass (the question offered with JavaScript off is a regex's work), and each is kept
 * for the retention, up to 96 KiB: without a bound, one client filled the disk at ~2 MB/s, and past
 * ~6,000 letters the inbox file was longer than a string can be, so its download and the export
 * failed and the voters could read and mark none. Past the bound a letter is refused, nothing of
 * it kept, until the voters mark some handled or the retention forgets them. The refusal tells a
 * writer who paid the check that the inbox is full, which a flood's sender knows already (and,
 * by asking again, about when room was made: that someone marked letters handled), so the bound is
 * high enough that a cell's own letters do not meet it.
 */
async function refuseWhenFull(deps: Deps, cellId: number): Promise<void> {
  if ((await countLetters(deps.db, cellId)) < deps.config.lettersWaitingMax) return
  const message = t('letters.inbox_full')
  throw new DomainError(503, message, { text: message })
}

/** Whether this viewer reads the cell's inbox: a valid key at the cell's inbox tier or above (services/access.ts). */
export const mayReadInbox = (deps: Deps, cell: Pick<Cell, 'id' | 'inbox_tier'>, session: Session | null): Promise<boolean> =>
  may(deps, cell.id, cell.inbox_tier, 'inbox', session)

/**
 * The cell, for someone who reads its inbox. Anyone else gets exactly what an address under the
 * cell that names no board gets, so nothing says the inbox (or any letter) exists.
 */
async function openInbox(deps: Deps, slug: string, session: Session | null): Promise<Cell> {
  const cell = await findCellOrThrow(deps, slug)
  if (!(await mayReadInbox(deps, cell, session))) {
    // The very 404 of a board that does not exist, in every language (no board's name is empty).
    await findBoardOrThrow(deps, slug, '')
    throw new Error('a board with an empty name')
  }
  return cell
}

/** How many letters wait, for an inbox reader (null for anyone else: the cell page says nothing). */
export async function waitingLetters(deps: Deps, cell: Pick<Cell, 'id' | 'inbox_tier'>, session: Session | null): Promise<number | null> {
  return (await mayReadInbox(deps, cell, session)) ? countLetters(deps.db, cell.id) : null
}

export async function readInbox(deps: Deps, slug: string, session: Session | null) {
  const cell = await openInbox(deps, slug, session)
  return { cell: { slug: cell.slug, name: cell.name, retentionDays: cell.letter_retention_days }, count: await countLetters(deps.db, cell.id), most: deps.config.lettersWaitingMax, fingerprint: cell.key_fingerprint }
}

/**
 * Every waiting letter as one file: armored messages one after another, each naming its reference
 * in a Comment header. gpg decrypts one message per file: README, "Letters", shows how to split it.
 */
async function lettersFile(deps: Deps, cell: Cell): Promise<{ count: number; text: string }> {
  const letters = await listLetters(deps.db, cell.id)
  const text = letters
    .map((l) => l.ciphertext.replace('-----BEGIN PGP MESSAGE-----\n', `-----BEGIN PGP MESSAGE-----\nComment: cellboard letter ${l.reference}, received ${l.received_at.slice(0, 10)}\n`))
    .join('\n')
  return { count: letters.length, text }
}

export async function downloadInbox(deps: Deps, slug: string, session: Session | null) {
  return (await lettersFile(deps, await openInbox(deps, slug, session))).text
}

/** The operator's "letters export". */
export async function exportLetters(deps: Deps, slug: string) {
  return lettersFile(deps, await findCellOrThrow(deps, slug))
}

/** References as typed (separated by lines, spaces or commas); refused when one is not a reference. */
export function readReferences(typed: string | string[]): string[] {
  const tokens = (Array.isArray(typed) ? typed : [typed]).flatMap((t) => t.split(/[\s,;]+/)).filter((t) => t !== '')
  const refs = tokens.map(readReference)
  const hint = { references: t('letters.references_hint') }
  if (refs.length === 0) throw new DomainError(422, t('letters.no_reference'), hint)
  if (refs.some((r) => r === null)) throw new DomainError(422, t('letters.not_reference'), hint)
  return [...new Set(refs as string[])]
}

/** Mark letters handled: hard-deleted at once, then `finish` (the purge), which returns once the files hold none of them. */
async function forgetHandled<P>(deps: Deps, cell: Cell, references: string[], finish: (deps: Deps) => Promise<P>): Promise<{ handled: string[]; unknown: string[]; purge: P }> {
  const handled = await deleteLetters(deps.db, cell.id, references)
  return { handled, unknown: references.filter((r) => !handled.includes(r)), purge: await finish(deps) }
}

/**
 * An inbox reader's form. The letters are deleted and their pages dropped before the purge: a
 * purge that fails is said in the server's output and finished by its next one, and the reader is
 * told what was forgotten rather than given an error for it (a form sent again would find the
 * letters gone and call their references unknown).
 */
export async function markHandled(deps: Deps, slug: string, session: Session | null, typed: string) {
  const cell = await openInbox(deps, slug, session)
  return forgetHandled(deps, cell, readReferences(typed), finishRemovalInServer)
}

/** The operator's "letters handled". */
export async function markHandledByOperator(deps: Deps, slug: string, references: string[]) {
  return forgetHandled(deps, await findCellOrThrow(deps, slug), readReferences(references), finishRemoval)
}
