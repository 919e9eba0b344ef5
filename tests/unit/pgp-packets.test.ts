import * as openpgp from 'openpgp'
import { describe, expect, it } from 'vitest'
import { countOf, packetTags, TAG } from '../../src/pgp-packets.ts'

// The packet headers read before openpgp parses anything (RFC 9580, section 4.2).
const bytes = (...b: number[]) => new Uint8Array(b)
const body = (n: number) => new Array<number>(n).fill(0x61)

describe('packetTags', () => {
  it('reads real keys and signatures as openpgp.js does', async () => {
    const { publicKey, privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'a' }, { name: 'b' }], format: 'object' })
    const tags = packetTags(publicKey.write())!
    expect(tags).toEqual(publicKey.toPacketList().map((p) => (p.constructor as unknown as { tag: number }).tag))
    expect(tags).toEqual([TAG.publicKey, TAG.userID, TAG.signature, TAG.userID, TAG.signature, TAG.publicSubkey, TAG.signature])
    expect(countOf(tags, TAG.signature)).toBe(3)
    const signature = await openpgp.sign({ message: await openpgp.createMessage({ text: 'x' }), signingKeys: privateKey, detached: true, format: 'binary' })
    expect(packetTags(signature as Uint8Array)).toEqual([TAG.signature])
  })

  it('reads new-format lengths of one, two and five octets', () => {
    expect(packetTags(bytes(0xc2, 3, ...body(3)))).toEqual([2])
    expect(packetTags(bytes(0xc2, 191, ...body(191), 0xcd, 0))).toEqual([2, 13])
    expect(packetTags(bytes(0xc2, 192, 0, ...body(192)))).toEqual([2]) // (192 − 192) · 256 + 0 + 192
    expect(packetTags(bytes(0xc2, 223, 255, ...body(8383)))).toEqual([2])
    expect(packetTags(bytes(0xc2, 255, 0, 0, 1, 0, ...body(256)))).toEqual([2])
  })

  it('reads legacy-format lengths of one, two and four octets, and to the end', () => {
    expect(packetTags(bytes(0x88, 2, ...body(2), 0xb4, 1, ...body(1)))).toEqual([2, 13])
    expect(packetTags(bytes(0x89, 1, 0, ...body(256)))).toEqual([2])
    expect(packetTags(bytes(0x8a, 0, 0, 0, 3, ...body(3)))).toEqual([2])
    expect(packetTags(bytes(0x8b, ...body(40)))).toEqual([2])
  })

  it('is null for broken framing: not a packet, truncated, or partial lengths', () => {
    expect(packetTags(bytes(0x42, 0))).toBeNull()
    expect(packetTags(bytes(0xc2, 4, ...body(3)))).toBeNull()
    expect(packetTags(bytes(0xc2))).toBeNull()
    expect(packetTags(bytes(0xc2, 192))).toBeNull()
    expect(packetTags(bytes(0xc2, 255, 0, 0))).toBeNull()
    expect(packetTags(bytes(0x89, 1))).toBeNull()
    expect(packetTags(bytes(0xcb, 224, ...body(1)))).toBeNull()
    expect(packetTags(bytes())).toEqual([])
  })
})
