import { bucketFor, LETTER_BUCKETS, LETTER_MAX_BYTES, letterText, padLetter, unpadLetter } from '../../static/letter-padding.js'
import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// Letters to a cell (issue 12). The padding is one format for the browser and the server
// (static/letter-padding.js, which says it); the rules about what a letter may be are here.
export { LETTER_BUCKETS, LETTER_MAX_BYTES, padLetter, unpadLetter }

/** Days a letter not marked handled is kept, unless the cell says otherwise. */
export const DEFAULT_LETTER_RETENTION_DAYS = 30

/**
 * What an encrypted message adds to the padded plaintext, at least and at most, in the length of
 * its encrypted-data packet: a literal-data header, a file name, the cipher's prefix and MDC (or
 * AEAD's salt, chunk tags and final tag). The buckets are four times apart, so the ranges never meet.
 */
const MIN_OVERHEAD = 16
const MAX_OVERHEAD = 1024

/** The bucket an encrypted-data packet of this length holds, or null when it fits none. */
export function bucketOfEncrypted(length: number): number | null {
  return LETTER_BUCKETS.find((b) => length >= b + MIN_OVERHEAD && length <= b + MAX_OVERHEAD) ?? null
}

/** An armored letter is at most this long: the largest bucket's message, armored, and room for headers. */
export const MAX_ARMORED_LETTER_BYTES = 96 * 1024

/**
 * A letter's POST may be this large, where any other form is held to BODY_LIMIT_BYTES (64 KiB): a
 * 64 KiB letter is ≈87 KiB armored once encrypted (JavaScript on), and sent as typed (JavaScript
 * off) each byte of a non-ASCII character is percent-encoded as three. 256 KiB holds both.
 */
export const LETTER_BODY_LIMIT_BYTES = 256 * 1024

const field = (message: string, name = 'text') => new DomainError(422, message, { [name]: message })

/** The padded bytes of a letter written in the form (JavaScript off); refused when empty, too large or holding a NUL. */
export function paddedLetter(raw: string): Uint8Array {
  const text = letterText(raw)
  if (text.trim() === '') throw field(t('letters.empty'))
  if (text.includes('\u0000')) throw field(t('letters.nul'))
  const padded = padLetter(text)
  // Beside the field, by how much: a person cutting it down needs to know (bytes, as the limit is).
  if (!padded) throw new DomainError(413, t('letters.too_long', { kib: LETTER_MAX_BYTES / 1024 }), { text: t('letters.at_most_this', { max: LETTER_MAX_BYTES, size: Buffer.byteLength(text) }) })
  return padded
}

export { bucketFor }

/** A letter's reference as shown: four groups of four (80 random bits), easy to copy by hand. */
export const REFERENCE = /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A reference from 10 random bytes (Crockford's base 32, no I, L, O or U). */
export function referenceFrom(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out.slice(0, 16).match(/.{4}/g)!.join('-')
}

/** A reference as typed: spaces removed, upper-case, the easily confused letters read as digits. */
export function readReference(typed: string): string | null {
  const t = typed.trim().toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0').replace(/\s+/g, '')
  const plain = t.replace(/-/g, '')
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(plain)) return null
  return plain.match(/.{4}/g)!.join('-')
}

/** A fingerprint grouped by four, for reading aloud: "ABCD EF01 …". */
export const groupedFingerprint = (fpr: string) => fpr.toUpperCase().match(/.{1,4}/g)!.join(' ')
