import { describe, expect, it } from 'vitest'
import { bucketOfEncrypted, LETTER_BUCKETS, padLetter, paddedLetter, readReference, referenceFrom, unpadLetter } from '../../src/domain/letters.ts'
import { padLetter as browserPad } from '../../static/letter-padding.js'

// The padding format (static/letter-padding.js): the text as UTF-8, NUL bytes up to 1, 4, 16 or 64 KiB.
describe('letter padding', () => {
  it('pads to the smallest bucket that holds the text, and unpadding gives the text back exactly', () => {
    for (const [text, size] of [['a', 1024], ['x'.repeat(1024), 1024], ['x'.repeat(1025), 4096], ['é'.repeat(2048), 4096], ['€'.repeat(5000), 16384], ['y'.repeat(65536), 65536]] as const) {
      const padded = padLetter(text)!
      expect(padded.length).toBe(size)
      expect(unpadLetter(padded)).toBe(text)
      expect(Buffer.from(padded.subarray(Buffer.byteLength(text))).every((b) => b === 0)).toBe(true)
    }
    expect(padLetter('line\r\nend\r')).toEqual(padLetter('line\nend\n'))
    expect(browserPad).toBe(padLetter) // one module for the browser and the server
  })

  it('refuses an empty letter, one over 64 KiB, and one holding a NUL', () => {
    expect(() => paddedLetter(' \n ')).toThrow(/empty/)
    expect(() => paddedLetter('y'.repeat(65537))).toThrow(/longer than 64 KiB/)
    expect(() => paddedLetter('a\u0000b')).toThrow(/NUL/)
    expect(padLetter('a\u0000b')).toBeNull()
  })

  it('each bucket’s encrypted length range meets no other, and an unpadded length fits none', () => {
    for (const b of LETTER_BUCKETS) {
      expect(bucketOfEncrypted(b + 60)).toBe(b)
      expect(bucketOfEncrypted(b + 1024)).toBe(b)
      expect(bucketOfEncrypted(b + 1025)).toBeNull()
    }
    expect(bucketOfEncrypted(60)).toBeNull()
    expect(bucketOfEncrypted(3000)).toBeNull()
  })

  it('a reference is 80 random bits in four groups of four, read back however it is typed', () => {
    const ref = referenceFrom(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    expect(ref).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/)
    expect(readReference(ref.toLowerCase())).toBe(ref)
    expect(readReference(ref.replace(/-/g, ''))).toBe(ref)
    expect(readReference('not a reference')).toBeNull()
  })
})
