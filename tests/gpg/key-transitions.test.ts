import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { groupedFingerprint, unpadLetter } from '../../src/domain/letters.ts'
import { exportCell } from '../../src/services/archive/export.ts'
import { createCell } from '../../src/services/cells.ts'
import { rotateCellKey } from '../../src/services/key-transitions.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'
import { makeRole, referenceOn } from '../support/letters.ts'

// Rotating a cell key with real GnuPG, as an operator would: the old and the new key live in two
// throw-away homes (so a decryption says which key a letter is to), the old key clearsigns a
// statement naming the new one, the server checks and publishes it, and a third home that holds
// only what the server serves runs gpg --verify.
let oldGpg: Gpg
let newGpg: Gpg
let oldFpr: string
let newFpr: string
let board: Awaited<ReturnType<typeof makeBoard>>
beforeAll(() => {
  oldGpg = new Gpg()
  newGpg = new Gpg()
  oldFpr = oldGpg.generateCellKey('old cell key <cell@example.invalid>')
  newFpr = newGpg.generateCellKey('new cell key <cell@example.invalid>')
})
afterAll(() => {
  oldGpg.close()
  newGpg.close()
})
afterEach(() => board?.close())

/** The statement the README's recipe has the operator write. */
const statementNaming = (fpr: string) => `The key of the cell "lobby" changes.\nOld key: ${groupedFingerprint(oldFpr)}\nNew key: ${groupedFingerprint(fpr)}\n`

/** What a rotation leaves behind, to show that a refused one left nothing. */
async function stored() {
  return {
    transitions: await board.count('cell_key_transition'),
    actions: await board.count('operator_action'),
    key: (await board.column("select key_fingerprint from cell where slug = 'lobby'"))[0],
  }
}

/** Send a letter with JavaScript off; its reference. */
async function sendLetter(text: string) {
  const writer = board.client()
  await writer.get('/c/lobby/letters/new')
  const sent = await writer.post('/c/lobby/letters', { text })
  expect(sent.res.status).toBe(200)
  return referenceOn(sent.text)!
}

const messagesOf = (file: string) => file.split(/(?=-----BEGIN PGP MESSAGE-----)/).filter((m) => m.trim() !== '')

describe('rotating the cell key with GnuPG', () => {
  it('the old key’s statement is checked and published; gpg --verify accepts it with the old key as served; key.asc serves the new key; new letters go to it, earlier ones stay', async () => {
    board = await makeBoard()
    await setCellKey(board.deps, { cell: 'lobby', armoredKey: oldGpg.exportPublic(oldFpr) })
    const before = await sendLetter('Written before the rotation.')

    const statement = oldGpg.clearsign(oldFpr, statementNaming(newFpr))
    const r = await rotateCellKey(board.deps, { cell: 'lobby', armoredKey: newGpg.exportPublic(newFpr), statement })
    expect(r).toEqual({ fingerprint: newFpr.toLowerCase(), number: 1 })

    // The page: the old key replaced by the new, the statement in full, and both files to download.
    const reader = board.client()
    const page = await reader.get('/c/lobby/key-transitions')
    expect(page.res.status).toBe(200)
    expect(page.text).toContain('<h2>Transition 1')
    expect(page.text).toContain(`<code class="fpr-grouped" dir="ltr">${groupedFingerprint(oldFpr)}</code> was replaced by <code class="fpr-grouped" dir="ltr">${groupedFingerprint(newFpr)}</code>`)
    expect(page.text).toMatch(/<pre class="signed-statement">-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA\d+\n\nThe key of the cell &quot;lobby&quot; changes\.\n/)
    expect(page.text).toContain('href="/c/lobby/key-transitions/1/key.asc"')
    expect(page.text).toContain('href="/c/lobby/key-transitions/1/statement.asc"')
    expect((await reader.get('/c/lobby')).text).toContain('href="/c/lobby/key-transitions"')

    // gpg --verify, in a home that holds nothing but what the server serves.
    const checker = new Gpg()
    try {
      const oldKey = await reader.request('/c/lobby/key-transitions/1/key.asc')
      expect(oldKey.headers.get('content-type')).toContain('application/pgp-keys')
      const imported = checker.run(['--import'], await oldKey.text())
      expect(imported.status, imported.err).toBe(0)
      const statementRes = await reader.request('/c/lobby/key-transitions/1/statement.asc')
      const served = await statementRes.text()
      // The page's commands name the files as the downloads are named, so they can be pasted as they
      // are (they said old-key.asc and statement.asc, and gpg answered "No such file": a walkthrough).
      const named = (r: Response) => /filename="([^"]+)"/.exec(r.headers.get('content-disposition') ?? '')?.[1]
      const commands = /<pre>gpg --import (\S+)\ngpg --verify (\S+)<\/pre>/.exec(page.text)
      expect(commands?.slice(1)).toEqual([named(oldKey), named(statementRes)])
      writeFileSync(join(checker.home, commands![2]!), served)
      const verified = checker.verify(join(checker.home, commands![2]!))
      expect(verified.status, verified.err).toBe(0)
      expect(verified.err).toContain('Good signature from "old cell key <cell@example.invalid>"')
      expect(verified.err.replace(/\s/g, '')).toContain(oldFpr)
      // And it names the new key, as the page says.
      expect(served).toContain(`New key: ${groupedFingerprint(newFpr)}`)
    } finally {
      checker.close()
    }

    // In the cell's archive, the page's commands name the files as the archive holds them.
    const work = mkdtempSync(join(tmpdir(), 'cellboard-transitions-archive-'))
    try {
      await exportCell(board.deps, { cell: 'lobby', out: work })
      const archived = readFileSync(join(work, 'key-transitions.html'), 'utf8')
      const inArchive = /<pre>gpg --import (\S+)\ngpg --verify (\S+)<\/pre>/.exec(archived)?.slice(1)
      expect(inArchive).toEqual(['key-transitions/1/key.asc', 'key-transitions/1/statement.asc'])
      for (const f of inArchive!) expect(existsSync(join(work, f)), f).toBe(true)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }

    // The cell key is the new one; a letter sent now is to it, and only to it.
    const key = await reader.request('/c/lobby/key.asc')
    const imported = new Gpg()
    try {
      expect(imported.run(['--with-colons', '--import-options', 'show-only', '--import'], await key.text()).out).toContain(`fpr:::::::::${newFpr}:`)
    } finally {
      imported.close()
    }
    expect((await reader.get('/c/lobby')).text).toContain(groupedFingerprint(newFpr))
    const after = await sendLetter('Written after the rotation.')

    const voter = board.client()
    await makeRole(board, voter, 'voter')
    const file = await (await voter.request('/c/lobby/letters/inbox.asc')).text()
    const [first, second] = messagesOf(file)
    expect(first).toContain(before)
    expect(second).toContain(after)
    // The letter kept from before stays, to the old key; the new one is to the new key alone.
    expect(unpadLetter(new Uint8Array(oldGpg.decrypt(first!).bytes))).toBe('Written before the rotation.')
    expect(unpadLetter(new Uint8Array(newGpg.decrypt(second!).bytes))).toBe('Written after the rotation.')
    expect(oldGpg.decrypt(second!).status).not.toBe(0)
    expect(newGpg.decrypt(first!).status).not.toBe(0)

    expect(await board.column('select action from operator_action order by id desc')).toContain(`rotated the cell key from ${oldFpr.toLowerCase()} to ${newFpr.toLowerCase()}, with a statement signed by the old key (key transition 1)`)
  })

  it('refuses a statement signed by the new key, by a third key, naming another key, or changed after signing, and a cell with no key yet, saying why; nothing is stored', async () => {
    board = await makeBoard()
    await setCellKey(board.deps, { cell: 'lobby', armoredKey: oldGpg.exportPublic(oldFpr) })
    const third = oldGpg.generateCellKey('a third key')
    const armoredKey = newGpg.exportPublic(newFpr)
    const good = oldGpg.clearsign(oldFpr, statementNaming(newFpr))
    const cases: [string, string, RegExp][] = [
      ['signed by the new key', newGpg.clearsign(newFpr, statementNaming(newFpr)), /^The statement is signed by the new key, not by the current cell key [0-9A-F ]+\. Only the current key can vouch for its successor/],
      ['signed by a third key', oldGpg.clearsign(third, statementNaming(newFpr)), /^The statement is not signed by the current cell key [0-9A-F ]+, but by another key \(key ID [0-9A-F]{16}\)/],
      ['naming another key', oldGpg.clearsign(oldFpr, statementNaming(third)), /^The statement does not name the new key’s fingerprint, [0-9A-F ]+\. It must name it in full/],
      ['naming only the new key’s ID', oldGpg.clearsign(oldFpr, `New key: ${newFpr.slice(-16)}\n`), /does not name the new key’s fingerprint/],
      ['changed after signing', good.replace('changes.', 'changed.'), /^The statement’s signature by the current cell key does not verify: its text was changed after it was signed/],
      ['not clearsigned', statementNaming(newFpr), /^The statement: That is not a clearsigned OpenPGP message/],
    ]
    await createCell(board.deps, { slug: 'keyless', name: 'Keyless', principles: [] })
    const untouched = await stored()
    for (const [what, statement, message] of cases) {
      const refused = rotateCellKey(board.deps, { cell: 'lobby', armoredKey, statement })
      await expect(refused, what).rejects.toMatchObject({ name: 'DomainError', status: 422, message: expect.stringMatching(message) })
      expect(await stored(), what).toEqual(untouched)
    }
    // The new key as a private key, or the current key again.
    await expect(rotateCellKey(board.deps, { cell: 'lobby', armoredKey: newGpg.run(['--armor', '--export-secret-keys', newFpr]).out, statement: good })).rejects.toThrow(/That is a private key/)
    await expect(rotateCellKey(board.deps, { cell: 'lobby', armoredKey: oldGpg.exportPublic(oldFpr), statement: good })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/current key.*needs a new key/) })
    expect(await stored()).toEqual(untouched)

    // A cell with no key has nothing to rotate: the operator is told to set one.
    await expect(rotateCellKey(board.deps, { cell: 'keyless', armoredKey, statement: good })).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/^The cell "keyless" has no key yet.*npm run cellboard -- cell key set keyless FILE$/),
    })
    expect(await stored()).toEqual(untouched)
    expect(await board.column("select key_fingerprint from cell where slug = 'keyless'")).toEqual([null])

    // The good statement still rotates afterwards.
    expect((await rotateCellKey(board.deps, { cell: 'lobby', armoredKey, statement: good })).number).toBe(1)
  })
})
