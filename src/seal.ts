import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

// AES-256-GCM, as the server seals what it hands out or keeps and must not read back unless it is
// given the same key again (a puzzle's id, services/costs.ts; a form's kept answer,
// http/middleware/idempotency.ts): a fresh 12-byte IV, the ciphertext, a 16-byte tag, in that order.
/** The IV each seal starts with: random, so it names one sealing (a puzzle's nonce). */
export const IV_BYTES = 12
const TAG_BYTES = 16
/** The sealed size of `plain` bytes. */
export const sealedBytes = (plain: number) => IV_BYTES + plain + TAG_BYTES

/** `plain` sealed under `key` (32 bytes), `aad` authenticated with it if given. */
export function seal(key: Buffer, plain: Buffer, aad?: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  if (aad) cipher.setAAD(aad)
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()])
}

/** What `sealed` seals, or null if it was not sealed under this key (and `aad`): malformed, forged, changed. */
export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer | null {
  if (sealed.length < IV_BYTES + TAG_BYTES) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES })
    if (aad) decipher.setAAD(aad)
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()])
  } catch {
    return null
  }
}
