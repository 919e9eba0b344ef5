import { wordlist } from '@scure/bip39/wordlists/english.js'

// A readable handle so people can follow a conversation: two words chosen by the first
// 22 bits of the fingerprint, plus the last 8 hex digits. Derived from the fingerprint only;
// user IDs inside a key are never shown.
export type Pseudonym = { handle: string; short: string }

export function pseudonymOf(fingerprint: string): Pseudonym {
  const hex = fingerprint.toLowerCase()
  if (!/^[0-9a-f]{40,64}$/.test(hex)) throw new Error(`not a fingerprint: ${fingerprint}`)
  const bits = parseInt(hex.slice(0, 6), 16) // 24 bits
  const first = wordlist[bits >>> 13]! // top 11 bits
  const second = wordlist[(bits >>> 2) & 0x7ff]! // next 11 bits
  const tail = hex.slice(-8).toUpperCase()
  return { handle: `${first}-${second}`, short: `${tail.slice(0, 4)} ${tail.slice(4)}` }
}

export const showPseudonym = (p: Pseudonym) => `${p.handle} · ${p.short}`
