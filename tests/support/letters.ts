import * as openpgp from 'openpgp'
import { padLetter, unpadLetter } from '../../src/domain/letters.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { setCellKey } from '../../src/services/letters.ts'
import type { Client, makeBoard } from './app.ts'

type Board = Awaited<ReturnType<typeof makeBoard>>

/** A cell key whose private half only the test holds (openpgp, for speed; tests/gpg use real GnuPG). */
export async function cellKeyPair() {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'cell key' }], format: 'armored' })
  return { ...k, fingerprint: (await openpgp.readKey({ armoredKey: k.publicKey })).getFingerprint() }
}

/** Give the board's default cell a key; returns the pair. */
export async function withCellKey(board: Board, cell = 'lobby') {
  const pair = await cellKeyPair()
  await setCellKey(board.deps, { cell, armoredKey: pair.publicKey })
  return pair
}

/** Decrypt an armored letter with the cell's private key; the padded bytes and the text. */
export async function openLetter(armored: string, privateKey: string): Promise<{ padded: Uint8Array; text: string }> {
  const decryptionKeys = await openpgp.readPrivateKey({ armoredKey: privateKey })
  const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys, format: 'binary' })
  const padded = data as Uint8Array
  return { padded, text: unpadLetter(padded) }
}

/** A letter as the browser makes one: padded, encrypted to these keys (or as `opts` says). */
export async function browserLetter(text: string, publicKeys: string[], opts: { pad?: boolean; passwords?: string[] } = {}): Promise<string> {
  const encryptionKeys = await Promise.all(publicKeys.map((armoredKey) => openpgp.readKey({ armoredKey })))
  const binary = opts.pad === false ? new TextEncoder().encode(text) : padLetter(text)!
  const message = await openpgp.createMessage({ binary, format: 'binary' })
  return openpgp.encrypt({ message, encryptionKeys, passwords: opts.passwords })
}

/** Make a client's identity a voter (or member) of the cell, as the operator would. */
export async function makeRole(board: Board, c: Client, role: 'voter' | 'member', cell = 'lobby') {
  await c.takeIdentity()
  const armored = await (await c.request('/identity/public-key.asc')).text()
  await addRosterKey(board.deps, { cell, armoredKey: armored, tier: role })
}

/** The sent page's reference. */
export const referenceOn = (page: string) => /<p class="letter-reference"><code>([0-9A-Z-]+)<\/code>/.exec(page)?.[1] ?? null

/** Letters sent with JavaScript off by one new reader, each from the form's page; their references, in order. */
export async function sendLetters(board: Board, texts: string[], cell = 'lobby'): Promise<string[]> {
  const writer = board.client()
  const refs: string[] = []
  for (const text of texts) {
    await writer.get(`/c/${cell}/letters/new`)
    refs.push(referenceOn((await writer.post(`/c/${cell}/letters`, { text })).text)!)
  }
  return refs
}

/** The <main> of a page, for comparing what two addresses show. */
export const mainOf = (page: string) => /<main>([\s\S]*)<\/main>/.exec(page)?.[1] ?? ''
