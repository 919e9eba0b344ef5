import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { padLetter, unpadLetter } from '../../src/domain/letters.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'
import { makeRole, referenceOn } from '../support/letters.ts'

// Real GnuPG: the cell's private key is made by gpg in a throw-away home and held only by this
// test. The server gets the public key, a reader writes a letter over HTTP with JavaScript off,
// a voter downloads the inbox, and gpg --decrypt reads it.
let gpg: Gpg
let fpr: string
let board: Awaited<ReturnType<typeof makeBoard>>
beforeAll(() => {
  gpg = new Gpg()
  fpr = gpg.generateCellKey('cell key <cell@example.invalid>')
})
afterAll(() => gpg.close())
afterEach(() => board?.close())

/** The armored messages of an inbox file, one per letter (gpg decrypts one message per input). */
const messagesOf = (file: string) => file.split(/(?=-----BEGIN PGP MESSAGE-----)/).filter((m) => m.trim() !== '')

describe('letters and GnuPG', () => {
  it('a cell key of gpg’s without an encryption subkey is refused, saying so; with one it is taken', async () => {
    board = await makeBoard()
    const signOnly = gpg.generate('sign only')
    await expect(setCellKey(board.deps, { cell: 'lobby', armoredKey: gpg.exportPublic(signOnly) })).rejects.toThrow(/no encryption subkey/)
    const secret = gpg.run(['--armor', '--export-secret-keys', fpr]).out
    expect(secret).toContain('PRIVATE KEY BLOCK')
    await expect(setCellKey(board.deps, { cell: 'lobby', armoredKey: secret })).rejects.toThrow(/private key/)
    expect((await setCellKey(board.deps, { cell: 'lobby', armoredKey: gpg.exportPublic(fpr) })).fingerprint).toBe(fpr.toLowerCase())
  })

  it('a letter sent over HTTP with JavaScript off, downloaded from the inbox, is read by gpg --decrypt; without the padding it is the text sent', async () => {
    board = await makeBoard()
    await setCellKey(board.deps, { cell: 'lobby', armoredKey: gpg.exportPublic(fpr) })
    const texts = ['Dear cell,\nwe read you every week.\n— a reader', `A longer one: ${'ünïcode and words, '.repeat(200)}`]
    const writer = board.client()
    const refs: string[] = []
    for (const text of texts) {
      await writer.get('/c/lobby/letters/new')
      const sent = await writer.post('/c/lobby/letters', { text: text.replace(/\n/g, '\r\n') })
      expect(sent.res.status).toBe(200)
      refs.push(referenceOn(sent.text)!)
    }
    const voter = board.client()
    await makeRole(board, voter, 'voter')
    const file = await (await voter.request('/c/lobby/letters/inbox.asc')).text()
    writeFileSync(join(gpg.home, 'letters.asc'), file)
    const messages = messagesOf(file)
    expect(messages).toHaveLength(2)
    for (const [i, message] of messages.entries()) {
      expect(message).toContain(`Comment: cellboard letter ${refs[i]}`)
      const r = gpg.decrypt(message)
      expect(r.status, r.err).toBe(0)
      expect([1024, 16384]).toContain(r.bytes.length)
      expect(unpadLetter(new Uint8Array(r.bytes))).toBe(texts[i])
      expect(r.bytes.toString('utf8').replace(/\0+$/, '')).toBe(texts[i])
    }
  })

  it('a letter gpg encrypts to the cell key, padded as the format says, is taken as a browser’s would be', async () => {
    board = await makeBoard()
    await setCellKey(board.deps, { cell: 'lobby', armoredKey: gpg.exportPublic(fpr) })
    writeFileSync(join(gpg.home, 'padded'), padLetter('Written and encrypted with GnuPG.')!)
    const enc = gpg.run(['--armor', '--compress-algo', 'none', '--trust-model', 'always', '--recipient', fpr, '--output', '-', '--encrypt', join(gpg.home, 'padded')])
    expect(enc.status, enc.err).toBe(0)
    const c = board.client()
    await c.get('/c/lobby/letters/new')
    const sent = await c.post('/c/lobby/letters', { ciphertext: enc.out })
    expect(sent.res.status, /field-error[^>]*>([^<]*)/.exec(sent.text)?.[1]).toBe(200)
    // And one gpg encrypts to the cell key and another key is refused.
    const other = gpg.generateCellKey('someone else')
    const two = gpg.run(['--armor', '--compress-algo', 'none', '--trust-model', 'always', '--recipient', fpr, '--recipient', other, '--output', '-', '--encrypt', join(gpg.home, 'padded')])
    await c.get('/c/lobby/letters/new')
    expect((await c.post('/c/lobby/letters', { ciphertext: two.out })).res.status).toBe(422)
    expect(await board.count('letter')).toBe(1)
  })
})
