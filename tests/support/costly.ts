import { randomBytes } from 'node:crypto'
import * as openpgp from 'openpgp'

// Inputs that cost the server much more to check than they cost an attacker to send: one valid
// signature repeated many times (openpgp.js checks every copy), and RSA keys whose public
// exponent is not 65537. bench/worst-input.ts makes the same ones to measure them.

/** n copies of one signature packet, each read anew (so openpgp caches nothing between them). */
export function copies(sig: openpgp.SignaturePacket, n: number): openpgp.PacketList<openpgp.SignaturePacket> {
  const bytes = sig.write()
  const list = new openpgp.PacketList<openpgp.SignaturePacket>()
  for (let i = 0; i < n; i++) {
    const p = new openpgp.SignaturePacket()
    p.read(bytes)
    list.push(p)
  }
  return list
}

// openpgp's typings leave out the constructor that takes a text and a signature.
const Cleartext = openpgp.CleartextMessage as unknown as new (text: string, signature: openpgp.Signature) => { armor(): string }

const privateOf = async (key: string | openpgp.PrivateKey) => (typeof key === 'string' ? openpgp.readPrivateKey({ armoredKey: key }) : key)

/** Clearsigned as gpg writes it (LF line ends), its one signature packet repeated n times. */
export async function clearsignTimes(key: string | openpgp.PrivateKey, text: string, n: number, date?: Date): Promise<string> {
  const one = (await openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys: await privateOf(key), date, format: 'object' })) as unknown as { signature: openpgp.Signature }
  return new Cleartext(text, new openpgp.Signature(copies(one.signature.packets[0] as openpgp.SignaturePacket, n))).armor().replace(/\r\n/g, '\n')
}

/** A detached signature (as the browser key makes one) holding n copies of its packet. */
export async function detachedTimes(key: string | openpgp.PrivateKey, text: string, n: number, date?: Date): Promise<string> {
  const one = await openpgp.sign({ message: await openpgp.createMessage({ text }), signingKeys: await privateOf(key), detached: true, date, format: 'object' })
  return new openpgp.Signature(copies(one.packets[0] as openpgp.SignaturePacket, n)).armor()
}

/** The public key with its first user ID's self-signature repeated n times. */
export async function withSelfSignatures(armoredPublic: string, n: number): Promise<string> {
  const key = await openpgp.readKey({ armoredKey: armoredPublic })
  key.users[0]!.selfCertifications = [...copies(key.users[0]!.selfCertifications[0]!, n)]
  return key.armor()
}

/** A revocation certificate (armored as openpgp and gpg write one) holding n copies of its signature. */
export async function revocationTimes(certificate: string, n: number): Promise<string> {
  const sig = (await openpgp.readSignature({ armoredSignature: certificate.replace(/PUBLIC KEY BLOCK/g, 'SIGNATURE') })).packets[0]!
  return openpgp.armor(openpgp.enums.armor.publicKey, copies(sig, n).write())
}

const big = (u: Uint8Array) => BigInt(`0x${Buffer.from(u).toString('hex') || '0'}`)
const bytesOf = (x: bigint) => new Uint8Array(Buffer.from(x.toString(16).padStart(Math.ceil(x.toString(16).length / 2) * 2, '0'), 'hex'))
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b))
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n]
  while (r1 !== 0n) {
    const q = r0 / r1
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  return ((s0 % m) + m) % m
}

type RsaPacket = { publicParams: Record<string, Uint8Array>; privateParams: Record<string, Uint8Array>; computeFingerprintAndKeyID(): Promise<void> }

/** Give an RSA key packet the public exponent e (the next one that works, from `e` up) and the d that goes with it. */
async function setExponent(packet: RsaPacket, e: bigint): Promise<void> {
  const phi = (big(packet.privateParams.p!) - 1n) * (big(packet.privateParams.q!) - 1n)
  while (gcd(e, phi) !== 1n) e += 2n
  packet.publicParams.e = bytesOf(e)
  packet.privateParams.d = bytesOf(inverse(e, phi))
  await packet.computeFingerprintAndKeyID()
}

/**
 * A real RSA-3072 key pair whose public exponent is not 65537: a random number of `bits` bits
 * on the primary key (or, with `on: 'subkey'`, on an RSA subkey under an Ed25519 primary),
 * certified again so every self-signature is valid and the key works everywhere but here.
 */
export async function rsaKeyWithExponent(bits: number, on: 'primary' | 'subkey' = 'primary'): Promise<{ publicKey: string; privateKey: openpgp.PrivateKey; revocationCertificate: string }> {
  const { privateKey } = await openpgp.generateKey(
    on === 'primary'
      ? { type: 'rsa', rsaBits: 3072, userIDs: [{ name: 'rsa' }], subkeys: [], format: 'object' }
      : { type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'rsa' }], subkeys: [{ type: 'rsa', rsaBits: 3072 }], format: 'object' },
  )
  const packet = (on === 'primary' ? privateKey.keyPacket : privateKey.subkeys[0]!.keyPacket) as unknown as RsaPacket
  const e = (big(randomBytes(Math.ceil(bits / 8))) & ((1n << BigInt(bits)) - 1n)) | (1n << BigInt(bits - 1)) | 1n
  await setExponent(packet, e)
  const re = await openpgp.reformatKey({ privateKey, userIDs: [{ name: 'rsa' }], format: 'object' })
  return { publicKey: re.publicKey.armor(), privateKey: re.privateKey, revocationCertificate: re.revocationCertificate }
}
