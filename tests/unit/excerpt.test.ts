import { describe, expect, it } from 'vitest'
import { plainTextOf } from '../../src/domain/markdown.ts'
import { EXCERPT_CHARS, excerptOf } from '../../src/domain/posts.ts'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('excerptOf (a thread’s opening post on its board’s page)', () => {
  it('folds whitespace and keeps a short text whole', () => {
    expect(excerptOf('  one\n\ntwo\tthree  ')).toBe('one two three')
  })

  it('cuts a long text between words near the limit, with an ellipsis', () => {
    const e = excerptOf('word '.repeat(100))
    expect(e.endsWith('word …')).toBe(true)
    expect(e.length).toBeLessThanOrEqual(EXCERPT_CHARS + 2)
    expect(e.length).toBeGreaterThan(EXCERPT_CHARS - 30)
  })

  it('cuts a text without spaces at the limit, never inside a surrogate pair', () => {
    expect(excerptOf('x'.repeat(500))).toBe(`${'x'.repeat(EXCERPT_CHARS)} …`)
    const e = excerptOf('😀'.repeat(200))
    expect(e.endsWith(' …')).toBe(true)
    expect(e.slice(0, -2)).toBe('😀'.repeat(EXCERPT_CHARS / 2))
    expect(e).not.toMatch(LONE_SURROGATE)
  })

  it('an odd cut point inside a pair steps back before the pair', () => {
    const e = excerptOf(`a${'😀'.repeat(200)}`)
    expect(e.slice(0, -2)).toBe(`a${'😀'.repeat((EXCERPT_CHARS - 2) / 2)}`)
    expect(e).not.toMatch(LONE_SURROGATE)
  })
})

describe('plainTextOf (the excerpt reads as the post does, without its Markdown)', () => {
  it('drops the marks and keeps the words: emphasis, links, code, quotes, lists, references, images', () => {
    expect(excerptOf(plainTextOf('First post with **bold** and a [link](http://example.com).\n\nSecond paragraph.'))).toBe('First post with bold and a link. Second paragraph.')
    expect(excerptOf(plainTextOf('> quoted\n\nreply to >>1 with `code` and ![alt text](http://x/y.png)'))).toBe('quoted reply to >>1 with code and alt text')
    expect(excerptOf(plainTextOf('- one\n- two\n\n```\nfenced\n```'))).toBe('one two fenced')
    // Text that looks like HTML stays text (the view escapes it).
    expect(excerptOf(plainTextOf('plain <b>x</b> & y'))).toBe('plain <b>x</b> & y')
  })
})
