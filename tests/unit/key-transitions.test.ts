import { describe, expect, it } from 'vitest'
import { namesFingerprint } from '../../src/domain/key-transitions.ts'

const FPR = '0f3a9c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f901'
const grouped = '0F3A 9C1D 2E4B 5A69 78C0  D1E2 F3A4 B5C6 D7E8 F901'

describe('a statement names the new key’s fingerprint', () => {
  it('in one run or in groups, any case, across line ends, with 0x or punctuation around it', () => {
    for (const text of [
      `New key: ${FPR}`,
      `New key: ${FPR.toUpperCase()}.`,
      `New key: ${grouped}`,
      `new key:\n  ${grouped.slice(0, 24)}\n  ${grouped.slice(24)}\n`,
      `the key (0x${FPR.toUpperCase()}) replaces it`,
      `be dead ${grouped} beef`, // hex words beside it do not hide it
    ]) {
      expect(namesFingerprint(text, FPR), text).toBe(true)
    }
  })

  it('not by a part of it, another fingerprint, or a longer run that holds it', () => {
    for (const text of [
      `New key: ${FPR.slice(24)}`, // the long key ID
      `New key: ${grouped.slice(0, -5)}`,
      `New key: ${'1'.repeat(40)}`,
      `New key: ${FPR}aa`,
      `New key: aa${FPR}`,
      `New key: ${FPR}${'0'.repeat(24)}`,
      `New key: ${FPR.slice(0, 20)}-${FPR.slice(20)}`,
      '',
    ]) {
      expect(namesFingerprint(text, FPR), text).toBe(false)
    }
  })
})
