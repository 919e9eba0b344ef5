import { clearKeyRotationDue, findCell, lockCell, markKeyRotationDue, putCellKey } from '../db/cells.ts'
import type { Db } from '../db/connect.ts'
import { recordOperatorAction } from '../db/decision-log.ts'
import { findKeyTransition, insertKeyTransition, listKeyTransitions } from '../db/key-transitions.ts'
import { removeRosterEntry } from '../db/roster.ts'
import { DomainError, notFound } from '../domain/errors.ts'
import { namesFingerprint } from '../domain/key-transitions.ts'
import { groupedFingerprint } from '../domain/letters.ts'
import { coarseTime } from '../domain/time.ts'
import { verifyTransitionStatement } from '../pgp.ts'
import type { Deps } from './deps.ts'
import { langOfCell, readOfferedCellKey } from './letters.ts'
import { findCellOrThrow } from './reading.ts'
import { t, tIn } from '../i18n/index.ts'

// Rotating a cell key (issue 12). When a key leaves the roster, whoever held it may still hold the
// cell's private key: the cell page asks the operator to rotate until it is done. The operator
// gives the new public key and a statement the current key clearsigned naming it; the server
// checks both, then publishes the old key and the statement (/c/CELL/key-transitions), so a
// writer can check with gpg --verify that the new key was named by the one they trusted.
// New letters are encrypted to the new key; letters already kept stay until handled or expired.

export type RotateInput = { cell: string; armoredKey: string; statement: string }

/** The operator's "cell key rotate". Nothing is stored unless every check passes. */
export async function rotateCellKey(deps: Deps, input: RotateInput): Promise<{ fingerprint: string; number: number }> {
  const cell = await findCellOrThrow(deps, input.cell)
  if (!cell.key_fingerprint || !cell.key_armored) {
    throw new DomainError(409, t('keys.no_key_yet', { cell: cell.slug }))
  }
  const current = { fingerprint: cell.key_fingerprint, armored: cell.key_armored }
  const next = await readOfferedCellKey(deps, input.armoredKey)
  if (next.fingerprint === current.fingerprint) throw new DomainError(409, t('keys.same_key', { fingerprint: groupedFingerprint(current.fingerprint) }))
  const statement = await verifyTransitionStatement(input.statement, current, next, new Date(deps.now()))
  if (!namesFingerprint(statement.text, next.fingerprint)) {
    throw new DomainError(422, t('keys.not_named', { fingerprint: groupedFingerprint(next.fingerprint) }))
  }
  const at = coarseTime(deps.now(), deps.config.timeGranularityMs)
  const number = await deps.db.transaction().execute(async (tx) => {
    await lockCell(tx, cell.id)
    // Checked against the key when the cell was read; another rotation may have committed since.
    if ((await findCell(tx, cell.slug))?.key_fingerprint !== current.fingerprint) {
      throw new DomainError(409, t('keys.key_changed'))
    }
    const n = await insertKeyTransition(tx, { cellId: cell.id, oldFingerprint: current.fingerprint, newFingerprint: next.fingerprint, oldArmored: current.armored, statement: statement.armored, createdAt: at })
    await putCellKey(tx, cell.id, { fingerprint: next.fingerprint, armored: next.armored })
    await clearKeyRotationDue(tx, cell.id)
    await recordOperatorAction(tx, cell.id, tIn(langOfCell(cell), 'keys.op_rotated', { old: current.fingerprint, new: next.fingerprint, number: n }), at)
    return n
  })
  await deps.cache.clear()
  return { fingerprint: next.fingerprint, number }
}

/**
 * Take a key off a cell's roster (a decision, or the operator), inside the caller's transaction.
 * Whoever held it may hold the cell's private key too: a cell that has a key now owes a rotation.
 * Returns whether the key was on the roster.
 */
export async function removeFromRoster(tx: Db, cellId: number, fingerprint: string, at: string): Promise<boolean> {
  const removed = (await removeRosterEntry(tx, cellId, fingerprint)) > 0
  if (removed) await markKeyRotationDue(tx, cellId, at)
  return removed
}

/** /c/CELL/key-transitions: the current key, and every transition newest first. */
export async function readKeyTransitions(deps: Deps, slug: string) {
  const cell = await findCellOrThrow(deps, slug)
  return { cell: { slug: cell.slug, name: cell.name }, fingerprint: cell.key_fingerprint, transitions: await listKeyTransitions(deps.db, cell.id) }
}

/** A transition's old key, or its statement, for gpg --import and gpg --verify. */
export async function readKeyTransitionFile(deps: Deps, slug: string, number: number, file: 'key' | 'statement'): Promise<string> {
  const cell = await findCellOrThrow(deps, slug)
  const found = await findKeyTransition(deps.db, cell.id, number)
  if (!found) throw notFound(t('keys.transition_not_found'))
  return file === 'key' ? found.old_armored : found.statement
}
