// The only server-side import of openpgp. Everything that signs, verifies or parses keys goes
// through here, so the policy (key types, sizes, expiry, decompression limits) lives in one place.
import * as openpgp from 'openpgp'
import { DomainError } from './domain/errors.ts'

// A compressed message may not inflate past 1 MiB: the default is Infinity (a 65 KB message
// inflated to 64 MiB on these machines). No version or comment headers in what we publish.
openpgp.config.maxDecompressedMessageSize = 1024 * 1024
openpgp.config.showVersion = false
openpgp.config.showComment = false

export const MAX_ARMORED_KEY_BYTES = 16 * 1024
const MAX_USER_IDS = 10
const MAX_SUBKEYS = 10
const MIN_RSA_BITS = 3072

export type KeyPair = { fingerprint: string; armoredPublic: string; armoredPrivate: string }
export type CheckedKey = { fingerprint: string; armored: string; key: openpgp.PublicKey }

/**
 * A disposable identity's key: `ecc` (ed25519 + cv25519), which GnuPG 2.2 reads; v6 keys it refuses.
 * `at` is its creation time as published: coarse, like every published time (a key made "now"
 * to the second would say when someone took an identity).
 */
export async function generateDisposableKey(at: Date): Promise<KeyPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'cellboard disposable identity' }],
    date: at,
    format: 'armored',
  })
  const key = await openpgp.readKey({ armoredKey: publicKey })
  return { fingerprint: key.getFingerprint(), armoredPublic: publicKey, armoredPrivate: privateKey }
}

const keyError = (message: string, status: DomainError['status'] = 422) => new DomainError(status, message, { public_key: message })

/** EdDSA / Curve25519 keys, or RSA of at least 3072 bits (older gpg keys). */
function checkAlgorithm(info: openpgp.AlgorithmInfo): boolean {
  switch (info.algorithm) {
    case 'eddsaLegacy':
    case 'ed25519':
    case 'x25519':
      return true
    case 'ecdh':
      return info.curve === 'curve25519Legacy'
    case 'rsaEncryptSign':
    case 'rsaSign':
    case 'rsaEncrypt':
      return (info.bits ?? 0) >= MIN_RSA_BITS
    default:
      return false
  }
}

/** A key made a moment ago on a machine whose clock runs ahead is not "not yet valid": five minutes of skew. */
function allowingSkew(key: openpgp.Key, now: Date): Date {
  const created = key.getCreationTime().getTime()
  return created > now.getTime() && created - now.getTime() < 5 * 60_000 ? new Date(created) : now
}

/**
 * Parse an armored public key a person gave us and apply the key policy: at most 16 KiB, a public
 * (never a private) key, EdDSA/Curve25519 or RSA ≥ 3072, at most 10 user IDs and 10 subkeys, and
 * valid now (not expired, not revoked, self-signatures good). User IDs are never shown anywhere.
 */
export async function readPublicKey(armored: string, now: Date | 'signature-time' = new Date()): Promise<CheckedKey> {
  if (Buffer.byteLength(armored) > MAX_ARMORED_KEY_BYTES) throw keyError(`The key is larger than ${MAX_ARMORED_KEY_BYTES / 1024} KiB. Export it with: gpg --armor --export-options export-minimal --export KEYID`, 413)
  let key: openpgp.Key
  try {
    key = await openpgp.readKey({ armoredKey: armored })
  } catch {
    throw keyError('That is not an armored OpenPGP public key. Paste the output of: gpg --armor --export KEYID')
  }
  if (key.isPrivate()) throw keyError('That is a private key. Never paste a private key anywhere; paste the public key only.')
  if (key.users.length > MAX_USER_IDS) throw keyError(`The key has more than ${MAX_USER_IDS} user IDs.`)
  if (key.subkeys.length > MAX_SUBKEYS) throw keyError(`The key has more than ${MAX_SUBKEYS} subkeys.`)
  for (const k of key.getKeys()) {
    if (!checkAlgorithm(k.getAlgorithmInfo())) throw keyError('Only EdDSA/Curve25519 keys, or RSA keys of at least 3072 bits, are accepted.')
  }
  // Offline rechecks ('signature-time') leave validity to each signature's check, which asks
  // whether the key was valid when it signed; only the policy above applies.
  if (now === 'signature-time') return { fingerprint: key.getFingerprint(), armored: key.armor(), key }
  try {
    await key.verifyPrimaryKey(allowingSkew(key, now))
  } catch (e) {
    const why = String((e as Error).message)
    throw keyError(/revoked/i.test(why) ? 'That key is revoked.' : /expired/i.test(why) ? 'That key has expired.' : 'That key’s self-signatures do not verify.', 403)
  }
  return { fingerprint: key.getFingerprint(), armored: key.armor(), key }
}

// Parsing a private key (and checking its self-signatures) cost 1.2 ms of the 1.75 ms a post's
// signature took, measured. So a disposable key is parsed once and kept here, in memory, while it
// is in use: forgotten when its identity is burned or ends, and after ten minutes unused.
const signingKeys = new Map<string, { key: openpgp.PrivateKey; used: number }>() // by armored key
const KEY_IDLE_MS = 10 * 60_000
setInterval(() => {
  const now = Date.now()
  for (const [armored, k] of signingKeys) if (now - k.used > KEY_IDLE_MS) signingKeys.delete(armored)
}, 60_000).unref()

async function signingKeyFor(armoredPrivate: string): Promise<openpgp.PrivateKey> {
  const cached = signingKeys.get(armoredPrivate)
  if (cached) {
    cached.used = Date.now()
    return cached.key
  }
  const key = await openpgp.readPrivateKey({ armoredKey: armoredPrivate })
  signingKeys.set(armoredPrivate, { key, used: Date.now() })
  return key
}

/** Whether this process still holds a parsed private key for a fingerprint (tests check forgetting). */
export function holdsSigningKey(fingerprint: string): boolean {
  for (const k of signingKeys.values()) if (k.key.getFingerprint() === fingerprint) return true
  return false
}

/** Drop a parsed private key at once (its identity was burned, revoked or removed). */
export function forgetSigningKey(fingerprint: string): void {
  for (const [armored, k] of signingKeys) if (k.key.getFingerprint() === fingerprint) signingKeys.delete(armored)
}

/**
 * Clearsign a canonical text with an armored (unprotected) private key. The signature says it was
 * made at `at`, a coarse time (a signature's own time to the second would undo the coarse times
 * the pages show), but never before the key itself was made.
 */
export async function clearsign(text: string, armoredPrivate: string, at: Date): Promise<string> {
  const signingKeys = await signingKeyFor(armoredPrivate)
  const date = new Date(Math.max(at.getTime(), signingKeys.getCreationTime().getTime()))
  const message = await openpgp.createCleartextMessage({ text })
  // openpgp.js writes the signed text with CRLF line ends; the signature covers the text with
  // line ends canonicalised, so LF (as gpg --clearsign writes) verifies the same and reads better.
  return (await openpgp.sign({ message, signingKeys, date, format: 'armored' })).replace(/\r\n/g, '\n')
}

// Verifying with an armored key parsed it anew each time: half of a verification's 1 ms,
// measured (bench/signatures.ts). Public keys are not secret; the last thousand used stay parsed.
const verificationKeys = new Map<string, openpgp.PublicKey>()

async function readVerificationKey(key: CheckedKey | string): Promise<openpgp.PublicKey> {
  if (typeof key !== 'string') return key.key
  let parsed = verificationKeys.get(key)
  if (!parsed) {
    parsed = await openpgp.readKey({ armoredKey: key })
    if (verificationKeys.size >= 1000) verificationKeys.delete(verificationKeys.keys().next().value!)
    verificationKeys.set(key, parsed)
  }
  return parsed
}

/**
 * Whether a key proved at login is still valid at this moment: not expired (or revoked by a
 * signature it carries) since. openpgp keeps each self-signature's result on the parsed key, so
 * after a key's first check this costs ≈0.06 ms (measured), cheap enough for every use.
 */
export async function keyValidAt(armored: string, at: Date): Promise<boolean> {
  try {
    const key = await readVerificationKey(armored)
    await key.verifyPrimaryKey(allowingSkew(key, at))
    return true
  } catch {
    return false
  }
}

/**
 * Verify a cleartext-signed message made by one key. Returns the signed text as openpgp
 * recovered it, never the submitted copy. Refuses a message signed by any other key, and a copy
 * whose text differs from what was signed — even only by spaces at line ends, which OpenPGP
 * ignores when hashing but which would still change what is published.
 */
export async function verifyClearsigned(armoredMessage: string, key: CheckedKey | string): Promise<{ text: string; armored: string }> {
  let message: openpgp.CleartextMessage
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armoredMessage })
  } catch {
    throw new DomainError(422, 'That is not a clearsigned OpenPGP message (it should start with -----BEGIN PGP SIGNED MESSAGE-----).', { signed: 'Paste the whole output of gpg --clearsign.' })
  }
  const verificationKeys = await readVerificationKey(key)
  let data: string
  try {
    const result = await openpgp.verify({ message, verificationKeys, expectSigned: true })
    data = result.data as string
  } catch {
    throw new DomainError(422, 'The signature does not verify with your key: it was made by another key, or the text was changed after signing.', { signed: 'Sign with the key you logged in with, and paste the output unchanged.' })
  }
  if (pastedText(armoredMessage) !== data) {
    throw new DomainError(422, 'The signed text was changed after signing: some lines end in spaces the signature does not cover. Remove spaces at the ends of lines, sign again and paste.', { signed: 'Remove spaces at the ends of lines before signing.' })
  }
  // Publish our own serialisation of what verified, not the pasted block (which may carry
  // anything around its armor lines).
  return { text: data, armored: message.armor().replace(/\r\n/g, '\n') }
}

/** The signed text as it stands in the pasted armor (dash-escapes undone), spaces and all. */
function pastedText(armored: string): string | null {
  const m = /-----BEGIN PGP SIGNED MESSAGE-----\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n-----BEGIN PGP SIGNATURE-----/.exec(armored)
  if (!m) return null
  return m[1]!.split(/\r?\n/).map((line) => (line.startsWith('- ') ? line.slice(2) : line)).join('\n')
}

/**
 * Verify a detached signature over a canonical text (a browser key signs posts this way) and
 * return the same text as a cleartext-signed message, so it downloads like any other post.
 */
export async function verifyDetached(text: string, armoredSignature: string, key: CheckedKey | string): Promise<string> {
  let signature: openpgp.Signature
  try {
    signature = await openpgp.readSignature({ armoredSignature })
  } catch {
    throw new DomainError(422, 'The browser’s signature could not be read.')
  }
  const verificationKeys = await readVerificationKey(key)
  try {
    await openpgp.verify({ message: await openpgp.createMessage({ text }), signature, verificationKeys, expectSigned: true })
  } catch {
    throw new DomainError(422, 'The signature does not verify with your key: the text was changed after it was signed, or another key signed it.')
  }
  // The detached signature is a text signature over the same canonical text: as a cleartext
  // message it verifies in gpg exactly as a clearsigned post does.
  const Cleartext = openpgp.CleartextMessage as unknown as new (text: string, signature: openpgp.Signature) => openpgp.CleartextMessage
  return new Cleartext(text, signature).armor().replace(/\r\n/g, '\n')
}

/** Apply a revocation certificate to a public key; refuse one that does not revoke it. */
export async function applyRevocation(armoredKey: string, certificate: string): Promise<{ fingerprint: string; revokedArmored: string }> {
  if (Buffer.byteLength(armoredKey) > MAX_ARMORED_KEY_BYTES) throw keyError('The key is larger than 16 KiB.', 413)
  let key: openpgp.PublicKey
  try {
    key = await openpgp.readKey({ armoredKey })
  } catch {
    throw keyError('That is not an armored OpenPGP public key.')
  }
  if (key.isPrivate()) throw keyError('That is a private key. Paste the public key only.')
  let revoked: openpgp.PublicKey
  try {
    revoked = (await openpgp.revokeKey({ key, revocationCertificate: certificate, format: 'object' })).publicKey
  } catch {
    throw new DomainError(422, 'That revocation certificate does not revoke this key.', { certificate: 'Paste the certificate made for this key (gpg --gen-revoke KEYID, or the one openpgp made with the key).' })
  }
  if (!(await revoked.isRevoked())) throw new DomainError(422, 'That certificate does not revoke this key.', { certificate: 'It is not a revocation of this key.' })
  return { fingerprint: key.getFingerprint(), revokedArmored: revoked.armor() }
}
