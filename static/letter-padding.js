// The padding of a letter (issue 12), the same in the browser (static/letter.js) and on the server
// (src/domain/letters.ts), so that a ciphertext's length tells only which of four sizes it is.
//
// Format: the letter's text as UTF-8 (line ends as LF, no NUL character), followed by NUL bytes
// (0x00) up to the smallest bucket that holds it: 1, 4, 16 or 64 KiB (1024, 4096, 16384 or 65536
// bytes). The text never holds a NUL, so removing every NUL at the end gives it back exactly:
//   gpg --decrypt letter.asc | tr -d '\000'
// A text of more than 64 KiB as UTF-8 is not a letter.

export const LETTER_BUCKETS = [1024, 4096, 16384, 65536]
export const LETTER_MAX_BYTES = LETTER_BUCKETS[LETTER_BUCKETS.length - 1]

/** The text as it is padded: line ends as LF. */
export const letterText = (text) => text.replace(/\r\n?/g, '\n')

/** The smallest bucket that holds `bytes` bytes, or null when none does. */
export function bucketFor(bytes) {
  return LETTER_BUCKETS.find((b) => bytes <= b) ?? null
}

/** The padded bytes of a text; null when it is too large or holds a NUL. */
export function padLetter(text) {
  const t = letterText(text)
  if (t.includes('\u0000')) return null
  const bytes = new TextEncoder().encode(t)
  const bucket = bucketFor(bytes.length)
  if (bucket === null) return null
  const out = new Uint8Array(bucket) // zero-filled: the padding
  out.set(bytes)
  return out
}

/** The text of padded bytes: every NUL at the end removed. */
export function unpadLetter(bytes) {
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  return new TextDecoder().decode(bytes.subarray(0, end))
}
