// Rotating a cell key (issue 12): the old key clearsigns a statement that names the new key's
// fingerprint, and the server publishes both. What counts as "naming" it is decided here.

/**
 * Whether a statement names this fingerprint in full: its hex digits in order, in any case, as
 * one run or split by spaces and line ends (gpg prints it in groups of four), with "0x" before it
 * or punctuation around it allowed. Part of a fingerprint (a key ID) does not name it, and nor does
 * a longer run of hex digits that holds it.
 */
export function namesFingerprint(text: string, fingerprint: string): boolean {
  const want = fingerprint.toLowerCase()
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/^[^0-9a-z]+|[^0-9a-z]+$/gi, '').replace(/^0x/i, '').toLowerCase())
  for (let i = 0; i < words.length; i++) {
    let run = ''
    for (let j = i; j < words.length && run.length < want.length; j++) {
      if (!/^[0-9a-f]+$/.test(words[j]!)) break
      run += words[j]
      if (run === want) return true
    }
  }
  return false
}

