// The only server-side import of openpgp. Everything that signs, verifies or parses keys goes
// through here, so the policy (key types, sizes, decompression limits) lives in one place.
import * as openpgp from 'openpgp'
import { DomainError } from './domain/errors.ts'

// A compressed message may not inflate past 1 MiB: the default is Infinity (a 65 KB message
// inflated to 64 MiB on these machines). Headers off: no version string in what we publish.
openpgp.config.maxDecompressedMessageSize = 1024 * 1024
openpgp.config.showVersion = false
openpgp.config.showComment = false

export const MAX_ARMORED_KEY_BYTES = 16 * 1024

export type KeyPair = { fingerprint: string; armoredPublic: string; armoredPrivate: string }

/** A disposable identity's key: `ecc` (ed25519 + cv25519), which GnuPG 2.2 reads; v6 keys it refuses. */
export async function generateDisposableKey(): Promise<KeyPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'cellboard disposable identity' }],
    format: 'armored',
  })
  const key = await openpgp.readKey({ armoredKey: publicKey })
  return { fingerprint: key.getFingerprint(), armoredPublic: publicKey, armoredPrivate: privateKey }
}

/** Parse an armored public key a person gave us; refuse private keys and oversized input. */
export async function readPublicKey(armored: string): Promise<{ fingerprint: string; armored: string }> {
  if (Buffer.byteLength(armored) > MAX_ARMORED_KEY_BYTES) throw new DomainError(413, `The key is larger than ${MAX_ARMORED_KEY_BYTES / 1024} KiB.`, { key: 'Paste a smaller key (export it with gpg --armor --export-options export-minimal --export).' })
  let key: openpgp.Key
  try {
    key = await openpgp.readKey({ armoredKey: armored })
  } catch {
    throw new DomainError(422, 'That is not an armored OpenPGP public key.', { key: 'Paste the output of gpg --armor --export KEYID.' })
  }
  if (key.isPrivate()) throw new DomainError(422, 'That is a private key. Never paste a private key anywhere.', { key: 'Paste the public key only.' })
  return { fingerprint: key.getFingerprint(), armored: key.armor() }
}

/** Clearsign a canonical text with an armored (unprotected) private key. */
export async function clearsign(text: string, armoredPrivate: string): Promise<string> {
  const signingKeys = await openpgp.readPrivateKey({ armoredKey: armoredPrivate })
  const message = await openpgp.createCleartextMessage({ text })
  // openpgp.js writes the signed text with CRLF line ends; the signature covers the text with
  // line ends canonicalised, so LF (as gpg --clearsign writes) verifies the same and reads better.
  return (await openpgp.sign({ message, signingKeys, format: 'armored' })).replace(/\r\n/g, '\n')
}

/**
 * Verify a cleartext-signed message against one public key. Returns the signed text as
 * openpgp recovered it (never the submitted copy). Throws a DomainError when it does not verify.
 */
export async function verifyClearsigned(armoredMessage: string, armoredPublic: string): Promise<string> {
  let message: openpgp.CleartextMessage
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armoredMessage })
  } catch {
    throw new DomainError(422, 'That is not a clearsigned OpenPGP message.')
  }
  const verificationKeys = await openpgp.readKey({ armoredKey: armoredPublic })
  try {
    const result = await openpgp.verify({ message, verificationKeys, expectSigned: true })
    return result.data as string
  } catch {
    throw new DomainError(422, 'The signature does not verify with that key.')
  }
}
