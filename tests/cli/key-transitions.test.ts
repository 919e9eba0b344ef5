import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { groupedFingerprint } from '../../src/domain/letters.ts'
import { generateDisposableKey } from '../../src/pgp.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { Gpg } from '../support/gpg.ts'
import { cliBoard } from '../support/cli-board.ts'

// The operator's rotation, as `npm run cellboard -- …` runs it, with keys and a statement made by
// real GnuPG: cell key set, roster remove (the cell page then asks for a rotation), a refused
// rotation, and cell key rotate with the statement on standard input.
const { cli, withDeps, dir } = cliBoard('cellboard-cli-rotate-')
let gpg: Gpg
let oldFpr: string
let newFpr: string
beforeAll(() => {
  gpg = new Gpg()
  oldFpr = gpg.generateCellKey('old cell key')
  newFpr = gpg.generateCellKey('new cell key')
})
afterAll(() => gpg.close())

/** A page as a reader without an identity gets it. */
const page = (path: string) => withDeps(async (deps) => (await createApp(deps).request(path)).text())

const file = (name: string, text: string) => {
  const path = join(dir(), name)
  writeFileSync(path, text)
  return path
}

describe('npm run cellboard -- cell key rotate / roster remove', () => {
  it('after roster remove the cell page asks for a rotation; a statement not signed by the current key is refused on stderr, nothing stored; rotate with the statement on standard input publishes it and the notice goes', { timeout: 240_000 }, async () => {
    const member = await generateDisposableKey(new Date())
    await withDeps((deps) => addRosterKey(deps, { cell: 'lobby', armoredKey: member.armoredPublic, tier: 'voter' }))
    expect(cli('cell', 'key', 'set', 'lobby', file('old.asc', gpg.exportPublic(oldFpr)))).toMatchObject({ code: 0, err: '' })

    const removed = cli('roster', 'remove', 'lobby', member.fingerprint)
    expect(removed.err).toBe('')
    expect(removed.out).toBe(`removed ${member.fingerprint} from the roster of lobby; until the cell key is rotated, the cell page asks for it (whoever held the removed key may have the cell's private key): npm run cellboard -- cell key rotate lobby --new FILE --statement FILE\n`)
    expect(await page('/c/lobby')).toContain('The cell key should be rotated.')

    const newKey = file('new.asc', gpg.exportPublic(newFpr))
    const text = `The key of the cell "lobby" changes.\nOld key: ${groupedFingerprint(oldFpr)}\nNew key: ${groupedFingerprint(newFpr)}\n`
    const byNew = cli('cell', 'key', 'rotate', 'lobby', '--new', newKey, '--statement', file('by-new.asc', gpg.clearsign(newFpr, text)))
    expect(byNew.code).toBe(1)
    expect(byNew.out).toBe('')
    expect(byNew.err).toBe(`cellboard: The statement is signed by the new key, not by the current cell key ${groupedFingerprint(oldFpr)}. Only the current key can vouch for its successor: clearsign the statement with it (gpg --local-user ${oldFpr} --clearsign).\n`)
    const both = cli('cell', 'key', 'rotate', 'lobby', '--new', '-', '--statement', '-', { input: '' })
    expect(both.code).toBe(1)
    expect(both.err).toMatch(/^cellboard: only one of --new and --statement can be - \(standard input\)/)
    expect(await withDeps((deps) => deps.db.selectFrom('cell_key_transition').selectAll().execute())).toEqual([])
    expect(await page('/c/lobby/key.asc')).toBe(await withDeps(async (deps) => (await deps.db.selectFrom('cell').select('key_armored').executeTakeFirstOrThrow()).key_armored))

    const rotated = cli('cell', 'key', 'rotate', 'lobby', '--new', newKey, '--statement', '-', { input: gpg.clearsign(oldFpr, text) })
    expect(rotated.err).toBe('')
    expect(rotated.out).toBe(`the key of lobby is now ${groupedFingerprint(newFpr)}; new letters are encrypted to it. The old key and its statement are published as key transition 1 (/c/lobby/key-transitions)\n`)
    const cell = await page('/c/lobby')
    expect(cell).not.toContain('The cell key should be rotated.')
    expect(cell).toContain(groupedFingerprint(newFpr))
    expect(await page('/c/lobby/key-transitions')).toContain(`${groupedFingerprint(oldFpr)}</code> was replaced by <code class="fpr-grouped" dir="ltr">${groupedFingerprint(newFpr)}`)

    // gpg --verify of the statement as served, with the old key as served.
    const statement = file('statement.asc', await page('/c/lobby/key-transitions/1/statement.asc'))
    const checker = new Gpg()
    try {
      expect(checker.run(['--import'], await page('/c/lobby/key-transitions/1/key.asc')).status).toBe(0)
      const verified = checker.verify(statement)
      expect(verified.status, verified.err).toBe(0)
      expect(verified.err).toContain('Good signature from "old cell key"')
    } finally {
      checker.close()
    }
    const log = await withDeps(async (deps) => (await deps.db.selectFrom('operator_action').select('action').orderBy('id').execute()).map((a) => a.action))
    expect(log.slice(-3)).toEqual([
      `set the cell key ${oldFpr.toLowerCase()}`,
      `removed the key ${member.fingerprint} from the roster`,
      `rotated the cell key from ${oldFpr.toLowerCase()} to ${newFpr.toLowerCase()}, with a statement signed by the old key (key transition 1)`,
    ])
  })

  it('roster remove of a key not on the roster, and rotate on a cell with no key, are refused on stderr with exit 1', () => {
    const r = cli('roster', 'remove', 'lobby', 'a'.repeat(40))
    expect(r.code).toBe(1)
    expect(r.err).toBe(`cellboard: The key ${'a'.repeat(40)} is not on the roster of lobby.\n`)
    const k = cli('cell', 'key', 'rotate', 'lobby', '--new', file('new.asc', gpg.exportPublic(newFpr)), '--statement', file('s.asc', gpg.clearsign(oldFpr, `New key: ${newFpr}\n`)))
    expect(k.code).toBe(1)
    expect(k.err).toMatch(/^cellboard: The cell "lobby" has no key yet, .* npm run cellboard -- cell key set lobby FILE\n$/)
  })
})
