// OpenPGP packet framing (RFC 9580, section 4.2), read without openpgp.js: which packets a
// block holds, so that one holding too many is refused before openpgp parses or verifies any of
// it. openpgp.js verifies every signature packet it is given: 200 copies of one signature in a
// pasted login cost 100–130 ms of CPU (bench/worst-input.ts); reading their headers costs
// microseconds.

export const TAG = { signature: 2, secretKey: 5, publicKey: 6, secretSubkey: 7, userID: 13, publicSubkey: 14, userAttribute: 17 } as const

/**
 * The tags of the packets in a binary block, in order; null when its framing is broken
 * (truncated, not a packet, or split in partial lengths, which only data packets may use and
 * which never belong in a key or a signature).
 */
export function packetTags(bytes: Uint8Array): number[] | null {
  const tags: number[] = []
  let i = 0
  while (i < bytes.length) {
    const header = bytes[i++]!
    if ((header & 0x80) === 0) return null
    let tag: number
    let length: number
    if (header & 0x40) {
      // New format: the tag in six bits, then a one-, two- or five-octet length.
      tag = header & 0x3f
      const first = bytes[i++]
      if (first === undefined) return null
      const n = newLength(bytes, i, first)
      if (!n || n.partial) return null
      ;[length, i] = [n.length, n.at]
    } else {
      // Legacy format: the tag in four bits, the length's size in two (3: to the end).
      tag = (header >> 2) & 0x0f
      const legacy = legacyLength(bytes, i, header)
      if (!legacy) return null
      ;[length, i] = [legacy.length, legacy.at]
    }
    if (i + length > bytes.length) return null
    tags.push(tag)
    i += length
  }
  return tags
}

/**
 * A new-format packet's body length, whose first octet `first` was read just before `i`: one, two or
 * five octets, or a partial length (224–254, `partial`). The length, and where the body starts;
 * null when the length runs past the input.
 */
function newLength(bytes: Uint8Array, i: number, first: number): { length: number; at: number; partial: boolean } | null {
  if (first < 192) return { length: first, at: i, partial: false }
  if (first < 224) return i < bytes.length ? { length: ((first - 192) << 8) + bytes[i]! + 192, at: i + 1, partial: false } : null
  if (first === 255) {
    if (i + 4 > bytes.length) return null
    return { length: ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0, at: i + 4, partial: false }
  }
  return { length: 1 << (first & 0x1f), at: i, partial: true }
}

/**
 * A legacy-format packet's body length, read after its header byte at `i`: the length's size is in
 * the header's low two bits (3: to the end of the input). The length, and where the body starts;
 * null when the length runs past the input.
 */
function legacyLength(bytes: Uint8Array, i: number, header: number): { length: number; at: number } | null {
  const size = header & 3
  if (size === 3) return { length: bytes.length - i, at: i }
  const n = 1 << size
  if (i + n > bytes.length) return null
  let length = 0
  for (let k = 0; k < n; k++) length = length * 256 + bytes[i + k]!
  return { length, at: i + n }
}

/** How many of the tags are one of `wanted`. */
export const countOf = (tags: number[], ...wanted: number[]) => tags.filter((t) => wanted.includes(t)).length

/** Tags of an encrypted message's packets (RFC 9580, section 5). */
export const MESSAGE_TAG = { pkesk: 1, skesk: 3, sed: 9, seipd: 18, aead: 20, padding: 21 } as const
// Only data packets may be sent in partial lengths (RFC 9580, section 4.2.1.4).
const PARTIAL_OK = new Set([8, 9, 11, 18, 20])

/**
 * The packets of a binary message, each with its tag and body length (partial lengths summed, for
 * the data packets that may use them); null when the framing is broken.
 */
export function messagePackets(bytes: Uint8Array): { tag: number; length: number }[] | null {
  const out: { tag: number; length: number }[] = []
  let i = 0
  while (i < bytes.length) {
    const header = bytes[i++]!
    if ((header & 0x80) === 0) return null
    if (!(header & 0x40)) {
      // Legacy framing: read as packetTags does.
      const tag = (header >> 2) & 0x0f
      const legacy = legacyLength(bytes, i, header)
      if (!legacy) return null
      const length = legacy.length
      i = legacy.at
      if (i + length > bytes.length) return null
      out.push({ tag, length })
      i += length
      continue
    }
    const tag = header & 0x3f
    let total = 0
    for (;;) {
      const first = bytes[i++]
      if (first === undefined) return null
      const n = newLength(bytes, i, first)
      if (!n || (n.partial && !PARTIAL_OK.has(tag))) return null
      const { length, partial } = n
      i = n.at
      if (i + length > bytes.length) return null
      i += length
      total += length
      if (!partial) break
    }
    out.push({ tag, length: total })
  }
  return out
}
