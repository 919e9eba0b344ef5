import { describe, expect, it } from 'vitest'
import { makePuzzle, makeQuestion, numberInWords, PICTURE_LETTERS, readAnswer, readPicture } from '../../src/domain/costs.ts'
import { MemoryCostStore } from '../../src/ephemeral/costs.ts'

// The puzzles a form costs with JavaScript off, and the memory of spent proofs of work and puzzles.
describe('puzzles', () => {
  it('a question is answered by its number, typed in digits or words, in any case, with a full stop or spaces', () => {
    for (let n = 0; n < 50; n++) {
      expect(readAnswer(String(n))).toBe(n)
      expect(readAnswer(numberInWords(n))).toBe(n)
    }
    expect(numberInWords(23)).toBe('twenty-three')
    expect(readAnswer(' Twenty one. ')).toBe(21)
    expect(readAnswer('TWELVE')).toBe(12)
    for (const nonsense of ['', 'twelve apples', '1 2', 'ten-ty', '-3', '1e1']) expect(readAnswer(nonsense), nonsense).toBeNull()
  })

  it('every kind of question says its numbers in words and has the answer it says (never below zero)', () => {
    let seed = 0
    const counting = (n: number) => seed++ % n // walks through every template and number
    for (let i = 0; i < 2000; i++) {
      const { question, answer } = makeQuestion(counting)
      expect(question).not.toMatch(/[0-9]/)
      expect(answer).toBeGreaterThanOrEqual(0)
      const words = [...question.matchAll(/\b([a-z]+(?:-[a-z]+)?)\b/g)].map((m) => readAnswer(m[1]!)).filter((n): n is number => n !== null)
      expect(words).toHaveLength(2)
      const [x, y] = words as [number, number]
      expect([x + y, Math.abs(x - y)]).toContain(answer)
    }
  })

  it('a picture is five letters and digits that cannot be taken for one another; typed, case and spaces do not matter', () => {
    const p = makePuzzle((n) => Math.floor(Math.random() * n))
    expect(p.picture).toMatch(new RegExp(`^[${PICTURE_LETTERS}]{5}$`))
    expect(PICTURE_LETTERS).not.toMatch(/[0o1il9g]/)
    expect(readPicture(' Ab 3X k ')).toBe('ab3xk')
  })
})

describe('the memory of costs', () => {
  it('something spent is spent until it expires, and reads so without being marked again', async () => {
    let now = 1_000_000
    const store = new MemoryCostStore(() => now, 10)
    expect(await store.isSpent('pow', 'p')).toBe(false)
    expect(await store.spend('pow', 'p', now + 1000)).toBe('ok')
    expect(await store.isSpent('pow', 'p')).toBe(true)
    expect(await store.spend('pow', 'p', now + 1000)).toBe('used')
    expect(await store.isSpent('pow', 'q')).toBe(false)
    now += 1001
    expect(await store.isSpent('pow', 'p')).toBe(false)
    store.close()
  })

  it('puzzles are spent in a set of their own: wrong answers that fill it do not make proofs of work wait', async () => {
    const now = 1_000_000
    const store = new MemoryCostStore(() => now, 2)
    expect(await store.spend('puzzle', 'a', now + 1000)).toBe('ok')
    expect(await store.spend('puzzle', 'b', now + 1000)).toBe('ok')
    expect(await store.spend('puzzle', 'c', now + 1000)).toBe('busy')
    expect(await store.isSpent('pow', 'a')).toBe(false)
    expect(await store.spend('pow', 'a', now + 1000)).toBe('ok')
    expect(await store.spend('pow', 'b', now + 1000)).toBe('ok')
    expect(await store.spend('pow', 'c', now + 1000)).toBe('busy')
    store.close()
  })

  it('a proof of work is spent once; at the cap, new ones wait ("busy") rather than forget a spent one early', async () => {
    let now = 1_000_000
    const store = new MemoryCostStore(() => now, 2)
    expect(await store.spend('pow', 'a', now + 1000)).toBe('ok')
    expect(await store.spend('pow', 'a', now + 1000)).toBe('used')
    expect(await store.spend('pow', 'b', now + 5000)).toBe('ok')
    expect(await store.spend('pow', 'c', now + 5000)).toBe('busy')
    expect(await store.spend('pow', 'a', now + 1000)).toBe('used')
    now += 2000
    expect(await store.spend('pow', 'c', now + 5000)).toBe('ok')
    expect(await store.spend('pow', 'b', now + 5000)).toBe('used')
    store.close()
  })
})
