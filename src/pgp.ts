// The only server-side import of openpgp. Everything that signs, verifies or parses keys goes
// through here, so the policy (key types, sizes, expiry, decompression limits) lives in one place.
import { createHash, createPrivateKey, randomBytes, sign as nativeSign, type KeyObject } from 'node:crypto'
import * as openpgp from 'openpgp'
import { DomainError } from './domain/errors.ts'
import { bucketOfEncrypted, groupedFingerprint, MAX_ARMORED_LETTER_BYTES } from './domain/letters.ts'
import { countOf, MESSAGE_TAG, messagePackets, packetTags, TAG } from './pgp-packets.ts'
import { t } from './i18n/index.ts'

// A compressed message may not inflate past 1 MiB: the default is Infinity (a 65 KB message
// inflated to 64 MiB on these machines). No version or comment headers in what we publish.
openpgp.config.maxDecompressedMessageSize = 1024 * 1024
openpgp.config.showVersion = false
openpgp.config.showComment = false

export const MAX_ARMORED_KEY_BYTES = 16 * 1024
const MAX_USER_IDS = 10
const MAX_SUBKEYS = 10
// Whatever a key carries may be checked when it is used, and an Ed25519 signature costs about
// 0.5 ms of CPU to check (a key full of them, 54, cost 30 ms per login: bench/worst-input.ts).
// GnuPG's export-minimal leaves one per user ID and subkey.
export const MAX_KEY_SIGNATURES = 16
const MIN_RSA_BITS = 3072
// Each check of an RSA signature grows with the modulus, and with the public exponent: on
// RSA-3072, a 3000-bit exponent instead of 65537 made each check cost ≈7 ms (measured).
const MAX_RSA_BITS = 4096
const RSA_EXPONENT = 65537
/** A signed challenge or ballot: a few lines and one signature (under 2 KiB, even with RSA-4096). */
export const MAX_SHORT_SIGNED_BYTES = 8 * 1024
/** A detached signature or a revocation certificate: one signature packet, armored. */
const MAX_ARMORED_SIGNATURE_BYTES = 8 * 1024
/** A signature dated up to this far ahead of our clock is from a clock that runs fast, not forged. */
const SKEW_MS = 5 * 60_000

export type KeyPair = { fingerprint: string; armoredPublic: string; armoredPrivate: string }
export type CheckedKey = { fingerprint: string; armored: string; key: openpgp.PublicKey }

/**
 * A disposable identity's key: `ecc` (ed25519 + cv25519), which GnuPG 2.2 reads; v6 keys it refuses.
 * `at` is its creation time as published: coarse, like every published time (a key made "now"
 * to the second would say when someone took an identity). `name` is its user ID: what gpg --verify
 * says signed (a decision's key says which decision).
 */
export async function generateDisposableKey(at: Date, name = 'cellboard disposable identity'): Promise<KeyPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name }],
    date: at,
    format: 'armored',
  })
  const key = await openpgp.readKey({ armoredKey: publicKey })
  return { fingerprint: key.getFingerprint(), armoredPublic: publicKey, armoredPrivate: privateKey }
}

const keyError = (message: string, status: DomainError['status'] = 422) => new DomainError(status, message, { public_key: message })

/**
 * Why a key (or subkey) is not accepted, or null: EdDSA / Curve25519, or RSA of 3072 to 4096 bits
 * with the public exponent 65537 (older gpg keys).
 */
function algorithmProblem(k: openpgp.PublicKey | openpgp.Subkey): string | null {
  const info = k.getAlgorithmInfo()
  switch (info.algorithm) {
    case 'eddsaLegacy':
    case 'ed25519':
    case 'x25519':
      return null
    case 'ecdh':
      return info.curve === 'curve25519Legacy' ? null : ALGORITHMS()
    case 'rsaEncryptSign':
    case 'rsaSign':
    case 'rsaEncrypt': {
      const bits = info.bits ?? 0
      if (bits < MIN_RSA_BITS) return ALGORITHMS()
      if (bits > MAX_RSA_BITS) return t('keys.rsa_too_large', { max: MAX_RSA_BITS, bits })
      const e = (k.keyPacket as unknown as { publicParams: { e: Uint8Array } }).publicParams.e
      const value = Buffer.from(e).toString('hex').replace(/^0+/, '')
      if (value !== RSA_EXPONENT.toString(16)) {
        return t('keys.rsa_exponent', { exponent: RSA_EXPONENT, size: BigInt(`0x${value || '0'}`).toString(2).length })
      }
      return null
    }
    default:
      return ALGORITHMS()
  }
}
const ALGORITHMS = () => t('keys.algorithms')

/** A key made a moment ago on a machine whose clock runs ahead is not "not yet valid": five minutes of skew. */
function allowingSkew(key: openpgp.Key, now: Date): Date {
  const created = key.getCreationTime().getTime()
  return created > now.getTime() && created - now.getTime() < 5 * 60_000 ? new Date(created) : now
}

/** The packets of an armored block, read by their headers only; null when it is not armor. */
async function armoredPackets(armored: string): Promise<{ type: openpgp.enums.armor; tags: number[] } | null> {
  try {
    const { type, data } = await openpgp.unarmor(armored)
    const tags = packetTags(data as unknown as Uint8Array)
    return tags ? { type, tags } : null
  } catch {
    return null
  }
}

const NOT_A_KEY = () => t('keys.not_a_key')

/**
 * Parse an armored public key a person gave us and apply the key policy, checking none of its
 * signatures yet (that is assertKeyValid): at most 16 KiB, at most 10 user IDs, 10 subkeys and
 * 16 signatures (counted before openpgp parses anything), a public (never a private) key,
 * EdDSA/Curve25519 or RSA of 3072–4096 bits with exponent 65537. User IDs are never shown anywhere.
 */
export async function parsePublicKey(armored: string): Promise<CheckedKey> {
  if (Buffer.byteLength(armored) > MAX_ARMORED_KEY_BYTES) throw keyError(t('keys.key_too_large', { kib: MAX_ARMORED_KEY_BYTES / 1024 }), 413)
  const packets = await armoredPackets(armored)
  if (!packets || (packets.type !== openpgp.enums.armor.publicKey && packets.type !== openpgp.enums.armor.privateKey)) throw keyError(NOT_A_KEY())
  if (countOf(packets.tags, TAG.userID, TAG.userAttribute) > MAX_USER_IDS) throw keyError(t('keys.too_many_uids', { max: MAX_USER_IDS }))
  if (countOf(packets.tags, TAG.publicSubkey, TAG.secretSubkey) > MAX_SUBKEYS) throw keyError(t('keys.too_many_subkeys', { max: MAX_SUBKEYS }))
  const signatures = countOf(packets.tags, TAG.signature)
  if (signatures > MAX_KEY_SIGNATURES) throw keyError(t('keys.too_many_key_sigs', { count: signatures, max: MAX_KEY_SIGNATURES }))
  let key: openpgp.Key
  try {
    key = await openpgp.readKey({ armoredKey: armored })
  } catch {
    throw keyError(NOT_A_KEY())
  }
  if (key.isPrivate()) throw keyError(t('keys.private_key_pasted'))
  for (const k of key.getKeys()) {
    const problem = algorithmProblem(k)
    if (problem) throw keyError(problem)
  }
  return { fingerprint: key.getFingerprint(), armored: key.armor(), key: key as openpgp.PublicKey }
}

/** Refuse a key that is not valid now: expired, revoked, or with self-signatures that fail. */
export async function assertKeyValid(key: CheckedKey, now: Date): Promise<void> {
  try {
    await key.key.verifyPrimaryKey(allowingSkew(key.key, now))
  } catch (e) {
    const why = String((e as Error).message)
    throw keyError(/revoked/i.test(why) ? t('keys.key_revoked') : /expired/i.test(why) ? t('keys.key_expired') : t('keys.key_selfsig'), 403)
  }
}

/**
 * parsePublicKey, then assertKeyValid. Offline rechecks ('signature-time') leave validity to each
 * signature's check, which asks whether the key was valid when it signed; only the policy applies.
 */
export async function readPublicKey(armored: string, now: Date | 'signature-time' = new Date()): Promise<CheckedKey> {
  const key = await parsePublicKey(armored)
  if (now !== 'signature-time') await assertKeyValid(key, now)
  return key
}

// Parsing a private key (and checking its self-signatures) cost 1.2 ms of the 1.75 ms a post's
// signature took, measured. So a disposable key is parsed once and kept here, in memory, while it
// is in use: forgotten when its identity is burned or ends, and after ten minutes unused.
const signingKeys = new Map<string, { key: openpgp.PrivateKey; native: KeyObject | null; used: number }>() // by armored key
const KEY_IDLE_MS = 10 * 60_000
setInterval(() => {
  const now = Date.now()
  for (const [armored, k] of signingKeys) if (now - k.used > KEY_IDLE_MS) signingKeys.delete(armored)
}, 60_000).unref()

async function signingKeyFor(armoredPrivate: string): Promise<{ key: openpgp.PrivateKey; native: KeyObject | null }> {
  const cached = signingKeys.get(armoredPrivate)
  if (cached) {
    cached.used = Date.now()
    return cached
  }
  const key = await openpgp.readPrivateKey({ armoredKey: armoredPrivate })
  const entry = { key, native: nativeEd25519(key.keyPacket), used: Date.now() }
  signingKeys.set(armoredPrivate, entry)
  return entry
}

// The fields of openpgp.js's key and signature packets the signature below is made from: used by
// openpgp.js itself, though not in its published types.
type Ed25519KeyPacket = {
  algorithm: openpgp.enums.publicKey
  version: number
  isDecrypted(): boolean | null
  getFingerprintBytes(): Uint8Array
  getKeyID(): openpgp.KeyID
  publicParams: { oid?: { getName(): string }; Q?: Uint8Array }
  privateParams?: { seed?: Uint8Array }
}
type SignatureFields = {
  version: number
  signatureType: number
  publicKeyAlgorithm: number
  hashAlgorithm: number
  created: Date
  issuerKeyVersion: number
  issuerFingerprint: Uint8Array
  issuerKeyID: openpgp.KeyID
  rawNotations: { name: string; value: Uint8Array; humanReadable: boolean; critical: boolean }[]
  unhashedSubpackets: unknown[]
  signatureData: Uint8Array
  signedHashValue: Uint8Array
  params: { r: Uint8Array; s: Uint8Array }
  writeHashedSubPackets(): Uint8Array
  toHash(signatureType: number, data: openpgp.LiteralDataPacket, detached: boolean): Uint8Array
}

/**
 * A disposable key (a v4 EdDSA key on ed25519, unprotected) as a Node key, or null for any other
 * key (those are signed by openpgp.js alone). openpgp.js signs through WebCrypto, importing the
 * key from JSON anew for every signature (deriving its public point each time): with the job
 * around it, the largest part of a post's CPU after SQLite (575-850 µs a clearsign in process,
 * against 210-240 µs this way; issue 15).
 */
function nativeEd25519(packet: openpgp.Key['keyPacket']): KeyObject | null {
  const k = packet as unknown as Ed25519KeyPacket
  const seed = k.privateParams?.seed
  const q = k.publicParams.Q
  if (k.version !== 4 || k.algorithm !== openpgp.enums.publicKey.eddsaLegacy || k.publicParams.oid?.getName() !== 'ed25519Legacy' || !k.isDecrypted()) return null
  if (!seed || seed.length !== 32 || !q || q.length !== 33 || q[0] !== 0x40) return null
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url')
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(seed), x: b64(q.subarray(1)) }, format: 'jwk' })
}

// openpgp.js's name for the random notation it adds to every v4 EdDSA signature (a signature
// that differs each time it is made resists fault attacks); 32 bytes for SHA-512, as it does.
const SALT_NOTATION = 'salt@notations.openpgpjs.org'

/**
 * The signature openpgp.sign makes for a cleartext message, made the same way packet by packet
 * (its own packet, literal-data, signature and armor classes; its text signature type, SHA-512,
 * the salt notation, the issuer's key ID and fingerprint), with only the Ed25519 operation done
 * by Node's crypto on a key imported once. tests/gpg/fast-signature.test.ts compares the two
 * field by field and has gpg verify it.
 */
async function clearsignNative(message: openpgp.CleartextMessage, key: openpgp.PrivateKey, native: KeyObject, date: Date): Promise<string> {
  // The key openpgp.sign would use (valid at `date`: not expired or revoked), or its error.
  const signing = (await key.getSigningKey(undefined, date)).keyPacket as unknown as Ed25519KeyPacket
  if (signing !== (key.keyPacket as unknown as Ed25519KeyPacket)) throw new Error('a disposable key signs with its primary key')
  const literal = new openpgp.LiteralDataPacket()
  ;(literal as unknown as { setText(text: string): void }).setText(message.getText())
  const sig = new openpgp.SignaturePacket() as unknown as SignatureFields
  sig.version = 4
  sig.signatureType = openpgp.enums.signature.text
  sig.publicKeyAlgorithm = signing.algorithm
  sig.hashAlgorithm = openpgp.enums.hash.sha512
  sig.created = new Date(Math.floor(date.getTime() / 1000) * 1000)
  sig.issuerKeyVersion = 4
  sig.issuerFingerprint = signing.getFingerprintBytes()
  sig.issuerKeyID = signing.getKeyID()
  sig.rawNotations = [{ name: SALT_NOTATION, value: randomBytes(32), humanReadable: false, critical: false }]
  sig.unhashedSubpackets = []
  sig.signatureData = Buffer.concat([Uint8Array.of(sig.version, sig.signatureType, sig.publicKeyAlgorithm, sig.hashAlgorithm), sig.writeHashedSubPackets()])
  const digest = createHash('sha512').update(sig.toHash(sig.signatureType, literal, false)).digest()
  sig.signedHashValue = new Uint8Array(digest.subarray(0, 2))
  // EdDSA signs the digest itself (as openpgp.js and GnuPG do); R and S as they come.
  const rs = nativeSign(null, digest, native)
  sig.params = { r: new Uint8Array(rs.subarray(0, 32)), s: new Uint8Array(rs.subarray(32)) }
  const packets = new openpgp.PacketList<openpgp.SignaturePacket>()
  packets.push(sig as unknown as openpgp.SignaturePacket)
  const Cleartext = openpgp.CleartextMessage as unknown as new (text: string, signature: openpgp.Signature) => openpgp.CleartextMessage
  return new Cleartext(message.getText(), new openpgp.Signature(packets)).armor()
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
  const { key, native } = await signingKeyFor(armoredPrivate)
  const date = new Date(Math.max(at.getTime(), key.getCreationTime().getTime()))
  const message = await openpgp.createCleartextMessage({ text })
  const armored = native ? await clearsignNative(message, key, native, date) : await openpgp.sign({ message, signingKeys: key, date, format: 'armored' })
  // openpgp.js writes the signed text with CRLF line ends; the signature covers the text with
  // line ends canonicalised, so LF (as gpg --clearsign writes) verifies the same and reads better.
  return armored.replace(/\r\n/g, '\n')
}

/** Whether clearsign signs with this key by Node's Ed25519 (a disposable key) rather than by openpgp.js alone (tests check which). */
export async function signsNatively(armoredPrivate: string): Promise<boolean> {
  return (await signingKeyFor(armoredPrivate)).native !== null
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
 * How many signatures a pasted block holds, refused unless exactly one: openpgp.js checks every
 * signature packet it is given, and accepts the block when any one of them verifies.
 */
function oneSignature(packets: { tags: number[] }, what: 'pasted' | 'browser' | 'certificate', field: string | null, notIt: DomainError): void {
  const n = countOf(packets.tags, TAG.signature)
  if (n > 1) {
    const message = t(`keys.sigs_${what}`, { count: n })
    throw new DomainError(422, message, field ? { [field]: message } : {})
  }
  if (n !== 1 || packets.tags.length !== 1) throw notIt
}

/** A signature dated more than five minutes ahead of our clock; up to that, a fast clock is allowed for. */
function checkSignatureDate(created: Date | null, now: Date, field: string | null): Date {
  if (!created || created.getTime() <= now.getTime()) return now
  if (created.getTime() - now.getTime() <= SKEW_MS) return created
  const ahead = Math.round((created.getTime() - now.getTime()) / 1000)
  const by = ahead < 3600 ? t('keys.ahead_min', { min: Math.floor(ahead / 60), s: ahead % 60 }) : t('keys.ahead_hours', { h: Math.floor(ahead / 3600), min: Math.floor((ahead % 3600) / 60) })
  const message = t('keys.clock_ahead', { date: created.toISOString().slice(0, 19).replace('T', ' '), by })
  throw new DomainError(422, message, field ? { [field]: message } : {})
}

const NOT_CLEARSIGNED = () => new DomainError(422, t('keys.not_clearsigned'), { signed: t('keys.paste_whole') })

/** A pasted clearsigned message read, not yet verified: see readClearsigned and verifyPasted. */
export type PastedSigned = { text: string; message: openpgp.CleartextMessage; date: Date }

/**
 * Read a pasted clearsigned message, checking only what is cheap, so that a service can refuse
 * it (or use up a login challenge) before any signature is verified: its size (`maxBytes`, when
 * given), exactly one signature packet (counted before openpgp parses it), no spaces at line ends
 * that the signature would not cover, and a date at most five minutes ahead of `now`. `text` is
 * the text as openpgp will verify it, never the submitted copy.
 */
export async function readClearsigned(armored: string, now: Date, maxBytes?: number): Promise<PastedSigned> {
  if (!armored.includes('-----BEGIN PGP SIGNED MESSAGE-----')) throw NOT_CLEARSIGNED()
  if (maxBytes !== undefined && Buffer.byteLength(armored) > maxBytes) {
    throw new DomainError(413, t('keys.signed_too_large', { kib: maxBytes / 1024 }), { signed: t('keys.at_most', { kib: maxBytes / 1024 }) })
  }
  const packets = await armoredPackets(armored)
  if (!packets || packets.type !== openpgp.enums.armor.signed) throw NOT_CLEARSIGNED()
  oneSignature(packets, 'pasted', 'signed', NOT_CLEARSIGNED())
  let message: openpgp.CleartextMessage
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armored })
  } catch {
    throw NOT_CLEARSIGNED()
  }
  const text = message.getText()
  if (pastedText(armored) !== text) {
    throw new DomainError(422, t('keys.changed_spaces'), { signed: t('keys.remove_spaces') })
  }
  const created = (message as unknown as { signature: openpgp.Signature }).signature.packets[0]?.created ?? null
  return { text, message, date: checkSignatureDate(created, now, 'signed') }
}

/**
 * Verify what readClearsigned read: its one signature must be by this key (and the key valid
 * when it signed). Returns the text and our own armor of what verified, which is published,
 * never the pasted block (which may carry anything around its armor lines).
 */
export async function verifyPasted(pasted: PastedSigned, key: CheckedKey | string, loggingIn = false): Promise<{ text: string; armored: string }> {
  const verificationKeys = await readVerificationKey(key)
  try {
    await openpgp.verify({ message: pasted.message, verificationKeys, expectSigned: true, date: pasted.date })
  } catch {
    // Logging in, the key is the one pasted beside it; afterwards, the session's.
    if (loggingIn) throw new DomainError(422, t('keys.not_verify_login'), { signed: t('keys.sign_with_pasted_key') })
    throw new DomainError(422, t('keys.not_verify_pasted'), { signed: t('keys.sign_with_login_key') })
  }
  return { text: pasted.text, armored: pasted.message.armor().replace(/\r\n/g, '\n') }
}

/**
 * Verify a cleartext-signed message made by one key (readClearsigned, then verifyPasted). Refuses
 * a message signed by any other key, and a copy whose text differs from what was signed — even
 * only by spaces at line ends, which OpenPGP ignores when hashing but which would still change
 * what is published.
 */
export async function verifyClearsigned(armoredMessage: string, key: CheckedKey | string, now: Date = new Date(), maxBytes?: number): Promise<{ text: string; armored: string }> {
  return verifyPasted(await readClearsigned(armoredMessage, now, maxBytes), key)
}

/** The signed text as it stands in the pasted armor (dash-escapes undone), spaces and all. */
function pastedText(armored: string): string | null {
  const m = /-----BEGIN PGP SIGNED MESSAGE-----\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n-----BEGIN PGP SIGNATURE-----/.exec(armored)
  if (!m) return null
  return m[1]!.split(/\r?\n/).map((line) => (line.startsWith('- ') ? line.slice(2) : line)).join('\n')
}

/**
 * Verify a detached signature over a canonical text (a browser key signs posts this way) and
 * return the same text as a cleartext-signed message, so it downloads like any other post. The
 * signature must be one packet, dated at most five minutes ahead of `now`.
 */
export async function verifyDetached(text: string, armoredSignature: string, key: CheckedKey | string, now: Date = new Date()): Promise<string> {
  const unreadable = new DomainError(422, t('keys.browser_sig_unreadable'))
  if (Buffer.byteLength(armoredSignature) > MAX_ARMORED_SIGNATURE_BYTES) throw unreadable
  const packets = await armoredPackets(armoredSignature)
  if (!packets || packets.type !== openpgp.enums.armor.signature) throw unreadable
  oneSignature(packets, 'browser', null, unreadable)
  let signature: openpgp.Signature
  try {
    signature = await openpgp.readSignature({ armoredSignature })
  } catch {
    throw unreadable
  }
  const date = checkSignatureDate(signature.packets[0]?.created ?? null, now, null)
  const verificationKeys = await readVerificationKey(key)
  try {
    await openpgp.verify({ message: await openpgp.createMessage({ text }), signature, verificationKeys, expectSigned: true, date })
  } catch {
    throw new DomainError(422, t('keys.not_verify_detached'))
  }
  // The detached signature is a text signature over the same canonical text: as a cleartext
  // message it verifies in gpg exactly as a clearsigned post does.
  const Cleartext = openpgp.CleartextMessage as unknown as new (text: string, signature: openpgp.Signature) => openpgp.CleartextMessage
  return new Cleartext(text, signature).armor().replace(/\r\n/g, '\n')
}

/**
 * Apply a revocation certificate to a public key; refuse one that does not revoke it. The key
 * passes the key policy (parsePublicKey) first, and the certificate must be one signature,
 * dated at most five minutes ahead of `now`.
 */
export async function applyRevocation(armoredKey: string, certificate: string, now: Date = new Date()): Promise<{ fingerprint: string; revokedArmored: string }> {
  const { key, fingerprint } = await parsePublicKey(armoredKey)
  const notIt = new DomainError(422, t('keys.cert_not_revoke'), { certificate: t('keys.cert_paste') })
  if (Buffer.byteLength(certificate) > MAX_ARMORED_SIGNATURE_BYTES) throw new DomainError(413, t('keys.cert_too_large', { kib: MAX_ARMORED_SIGNATURE_BYTES / 1024 }), { certificate: t('keys.cert_paste_only') })
  const packets = await armoredPackets(certificate)
  if (!packets) throw notIt
  oneSignature(packets, 'certificate', 'certificate', notIt)
  let date: Date
  try {
    const { data } = await openpgp.unarmor(certificate)
    date = checkSignatureDate((await openpgp.readSignature({ binarySignature: data as unknown as Uint8Array })).packets[0]?.created ?? null, now, 'certificate')
  } catch (e) {
    if (e instanceof DomainError) throw e
    throw notIt
  }
  let revoked: openpgp.PublicKey
  try {
    revoked = (await openpgp.revokeKey({ key, revocationCertificate: certificate, date, format: 'object' })).publicKey
  } catch {
    throw notIt
  }
  if (!(await revoked.isRevoked(undefined, undefined, date))) throw new DomainError(422, t('keys.cert_not_this_key'), { certificate: t('keys.cert_not_revocation') })
  return { fingerprint, revokedArmored: revoked.armor() }
}

// ---------------------------------------------------------------------------------------------
// Letters (issue 12): a cell's key, and letters encrypted to it. The server encrypts a letter
// written with JavaScript off; with it on, the browser does, and the server checks what it got.
// ---------------------------------------------------------------------------------------------

export type CellKey = CheckedKey & { encryptionKeyId: string }

/**
 * A cell key as the operator gives it: the key policy (parsePublicKey: never a private key),
 * valid now (not expired or revoked), and able to receive letters (an encryption subkey valid now).
 */
export async function readCellKey(armored: string, now: Date): Promise<CellKey> {
  const key = await readPublicKey(armored, now)
  let encryptionKeyId: string
  try {
    encryptionKeyId = (await key.key.getEncryptionKey(undefined, allowingSkew(key.key, now))).getKeyID().toHex()
  } catch {
    throw keyError(t('keys.no_encryption_subkey'))
  }
  return { ...key, encryptionKeyId }
}

// The cell keys in use, parsed once (a letter's check or encryption then costs ≈2 ms, not a parse).
const cellKeys = new Map<string, CellKey>()
async function cellKeyFrom(armored: string, now: Date): Promise<CellKey> {
  let key = cellKeys.get(armored)
  if (!key) {
    key = await readCellKey(armored, now)
    if (cellKeys.size >= 100) cellKeys.delete(cellKeys.keys().next().value!)
    cellKeys.set(armored, key)
  }
  return key
}

/**
 * Encrypt a padded letter to the cell key (JavaScript off): the plaintext lives only in this
 * request's memory. Never compressed (that would undo the padding). The literal packet's date is
 * the UTC day: to the second, it would say when the letter was written.
 */
export async function encryptLetter(padded: Uint8Array, cellKeyArmored: string, now: Date): Promise<string> {
  const key = await cellKeyFrom(cellKeyArmored, now)
  const day = new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000)
  const message = await openpgp.createMessage({ binary: padded, format: 'binary', date: day })
  const armored = await openpgp.encrypt({ message, encryptionKeys: key.key, date: allowingSkew(key.key, now), config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed } })
  return armored.replace(/\r\n/g, '\n')
}

const letterRefusal = (message: string) => new DomainError(422, message, { text: message })
const NOT_A_LETTER = () => t('letters.not_a_letter')

/**
 * Check a letter the browser encrypted (JavaScript on): an armored OpenPGP message of exactly one
 * key-encrypted session key, to the cell key's encryption subkey, and one encrypted-data packet
 * whose length is one of the padded sizes. Anything else is refused: plaintext, a message to
 * another key or to several, a password-encrypted one, one of the wrong size, or garbage. Returns
 * our own armor of it (what is stored; never the block as sent) and its bucket.
 */
export async function checkLetterCiphertext(armored: string, cellKeyArmored: string, now: Date): Promise<{ armored: string; bucket: number }> {
  if (Buffer.byteLength(armored) > MAX_ARMORED_LETTER_BYTES) throw letterRefusal(t('letters.too_large', { kib: MAX_ARMORED_LETTER_BYTES / 1024 }))
  let data: Uint8Array
  try {
    const u = await openpgp.unarmor(armored)
    if (u.type !== openpgp.enums.armor.message) throw new Error('not a message')
    data = u.data as unknown as Uint8Array
  } catch {
    throw letterRefusal(NOT_A_LETTER())
  }
  const packets = messagePackets(data)
  if (!packets) throw letterRefusal(NOT_A_LETTER())
  const recipients = packets.filter((p) => p.tag === MESSAGE_TAG.pkesk).length
  const encrypted = packets.filter((p) => p.tag === MESSAGE_TAG.seipd || p.tag === MESSAGE_TAG.aead)
  if (packets.some((p) => p.tag === MESSAGE_TAG.skesk)) throw letterRefusal(t('letters.password_letter'))
  if (recipients > 1) throw letterRefusal(t('letters.many_recipients', { count: recipients }))
  if (recipients !== 1 || encrypted.length !== 1 || packets.length !== 2 || packets[0]!.tag !== MESSAGE_TAG.pkesk) throw letterRefusal(NOT_A_LETTER())
  const bucket = bucketOfEncrypted(encrypted[0]!.length)
  if (bucket === null) throw letterRefusal(t('letters.not_padded'))
  const key = await cellKeyFrom(cellKeyArmored, now)
  let message: openpgp.Message<Uint8Array>
  try {
    message = await openpgp.readMessage({ binaryMessage: data, config: { enforceGrammar: true } })
  } catch {
    throw letterRefusal(NOT_A_LETTER())
  }
  const ids = message.getEncryptionKeyIDs().map((id) => id.toHex())
  if (ids.length !== 1 || ids[0] !== key.encryptionKeyId) throw letterRefusal(t('letters.other_key'))
  // Its packets were framed exactly as above, nothing else: our own armor of those bytes. With the
  // CRC line for a v1 encrypted-data packet, as openpgp.encrypt writes one: GnuPG 2.2 could not
  // read the armor without it (measured: "invalid radix64 character").
  const checksum = encrypted[0]!.tag === MESSAGE_TAG.seipd
  return { armored: openpgp.armor(openpgp.enums.armor.message, data, undefined, undefined, undefined, checksum).replace(/\r\n/g, '\n'), bucket }
}

// ---------------------------------------------------------------------------------------------
// Rotating a cell key (issue 12): the current key clearsigns a statement naming the next one.
// ---------------------------------------------------------------------------------------------

/** A transition statement: a few lines of text and one signature; room for a paragraph of reasons. */
export const MAX_STATEMENT_BYTES = 16 * 1024

/**
 * Verify a transition statement: clearsigned (one signature, dated at most five minutes ahead of
 * `now`) by the cell's current key, valid now. When it is not, says why, by the signature's issuer:
 * signed by the new key, by another key, or by the current key over a text changed since. Returns
 * the text and our own armor of what verified (what is published, as for a post's signed text).
 */
export async function verifyTransitionStatement(armored: string, current: { fingerprint: string; armored: string }, next: CheckedKey, now: Date): Promise<{ text: string; armored: string }> {
  let pasted: PastedSigned
  try {
    pasted = await readClearsigned(armored, now, MAX_STATEMENT_BYTES)
  } catch (e) {
    // Its field hints speak of pasting into a form; the operator gives a file.
    if (e instanceof DomainError) throw new DomainError(e.status, t('keys.statement_problem', { problem: e.message }))
    throw e
  }
  const grouped = groupedFingerprint
  if (!(await keyValidAt(current.armored, now))) {
    throw new DomainError(409, t('keys.current_expired', { fingerprint: grouped(current.fingerprint) }))
  }
  const currentKey = await readVerificationKey(current.armored)
  try {
    await openpgp.verify({ message: pasted.message, verificationKeys: currentKey, expectSigned: true, date: pasted.date })
    return { text: pasted.text, armored: pasted.message.armor().replace(/\r\n/g, '\n') }
  } catch {
    // Said below, by who signed it.
  }
  const issuers = pasted.message.getSigningKeyIDs()
  const signedBy = (key: openpgp.Key) => key.getKeyIDs().some((id) => issuers.some((i) => i.equals(id)))
  if (signedBy(currentKey)) {
    throw new DomainError(422, t('keys.statement_changed'))
  }
  if (signedBy(next.key)) {
    throw new DomainError(422, t('keys.signed_by_new', { fingerprint: grouped(current.fingerprint), long: current.fingerprint.toUpperCase() }))
  }
  const said = { fingerprint: grouped(current.fingerprint), long: current.fingerprint.toUpperCase() }
  throw new DomainError(422, issuers[0] ? t('keys.signed_by_other_id', { ...said, keyid: issuers[0].toHex().toUpperCase() }) : t('keys.signed_by_other', said))
}

/**
 * Whether a detached signature (gpg --detach-sign [--armor], over a file's bytes) was made by
 * `armoredKey` (or one of its subkeys) over exactly these bytes. Offline and late: the key is
 * asked to have been valid when it signed, not now, so an archive verifies years after. Returns
 * the key's fingerprint, or why it does not verify.
 */
export async function verifyFileSignature(bytes: Uint8Array, armoredSignature: string, armoredKey: string): Promise<{ ok: true; fingerprint: string } | { ok: false; why: string }> {
  let key: CheckedKey
  try {
    key = await readPublicKey(armoredKey, 'signature-time')
  } catch (e) {
    return { ok: false, why: t('keys.file_key_unreadable', { why: (e as Error).message }) }
  }
  let signature: openpgp.Signature
  try {
    signature = await openpgp.readSignature({ armoredSignature })
  } catch {
    return { ok: false, why: t('keys.file_sig_unreadable') }
  }
  const created = signature.packets[0]?.created ?? null
  try {
    const { signatures } = await openpgp.verify({ message: await openpgp.createMessage({ binary: bytes }), signature, verificationKeys: key.key, expectSigned: true, date: created ?? new Date() })
    await signatures[0]!.verified
  } catch {
    return { ok: false, why: t('keys.file_sig_bad', { fingerprint: groupedFingerprint(key.fingerprint) }) }
  }
  return { ok: true, fingerprint: key.fingerprint }
}
