import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportLetters, sendLetter } from '../../src/services/letters.ts'
import { cellKeyPair, openLetter } from '../support/letters.ts'
import { cliBoard } from '../support/cli-board.ts'

// The operator's letter commands: cell key set (from a file or standard input), letters export,
// letters handled, letters retention. Letters are written through the same service the form uses.
const { cli, withDeps, dir } = cliBoard('cellboard-cli-letters-')

/** Write a letter as the form would (JavaScript off). */
const writeLetter = (text: string) => withDeps(async (deps) => (await sendLetter(deps, { cell: 'lobby', text, ciphertext: '', cost: {} })).reference)

describe('npm run cellboard -- cell key / letters', () => {
  it('cell key set refuses a private key, saying why, and takes a public key from standard input; letters export writes the waiting letters for offline decryption; letters handled forgets them, then purges', { timeout: 240_000 }, async () => {
    const pair = await cellKeyPair()
    const file = join(dir(), 'private.asc')
    writeFileSync(file, pair.privateKey)
    const secret = cli('cell', 'key', 'set', 'lobby', file)
    expect(secret.code).toBe(1)
    expect(secret.err).toMatch(/That is a private key.*never be on the server/)
    const ok = cli('cell', 'key', 'set', 'lobby', '-', { input: pair.publicKey })
    expect(ok.err).toBe('')
    expect(ok.out).toBe(`the key of lobby is now ${pair.fingerprint.toUpperCase().match(/.{4}/g)!.join(' ')}; letters are encrypted to it\n`)

    const refs = [await writeLetter('One letter'), await writeLetter('Another letter')]
    const out = join(dir(), 'letters.asc')
    expect(cli('letters', 'export', 'lobby', '--out', out)).toMatchObject({ code: 0, out: `2 letters written to ${out}\n` })
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const messages = readFileSync(out, 'utf8').split(/(?=-----BEGIN PGP MESSAGE-----)/)
    expect(await Promise.all(messages.map(async (m) => (await openLetter(m, pair.privateKey)).text))).toEqual(['One letter', 'Another letter'])

    const handled = cli('letters', 'handled', 'lobby', refs[0]!, '0000-0000-0000-0000')
    expect(handled.code, handled.err).toBe(0)
    expect(handled.out).toMatch(/^forgot 1 letter \(no letter waits under 0000-0000-0000-0000\); purged: /)
    expect(await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).text)).not.toContain(refs[0])
    expect(await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).count)).toBe(1)
  })
})
