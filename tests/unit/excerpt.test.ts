import { describe, expect, it } from 'vitest'
import { plainTextOf, renderPostBody, textOfRendered } from '../../src/domain/markdown.ts'
import { EXCERPT_CHARS, excerptOf } from '../../src/domain/posts.ts'
import { seededRandom } from '../support/random.ts'

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

// A board page reads its excerpts from the HTML stored for each opening post (textOfRendered), no
// longer by parsing its Markdown again (plainTextOf): the two must read the same words.
describe('textOfRendered (the words of a stored post, read back from its HTML)', () => {
  // Bodies put together at random from Markdown's marks, entities, look-alike HTML and line
  // breaks, the same for every run (a seeded generator).
  const PIECES = ['alpha', 'beta', 'x_y', 'a*b', '**bold**', '*em*', '_em_', '~~gone~~', '`code <i>`', '``a ` b``', '[link](https://example.org/a?b=1&c=2)', '[**strong** label](https://example.org/"q")', 'https://example.org/x', 'www.example.org', '![alt words](https://example.org/i.png)', '[![in a link](https://example.org/i.png)](https://example.org/)', '>>3', '>>12', '&', '&amp;', '&copy;', '&#65;', '&lt;b&gt;', '<b>x</b>', '<!-- no -->', '"q"', "it's", '\\*', '\\>', '1.', '-', '>', '😀', 'é', '---', 'a\tb']
  const BREAKS = [' ', ' ', ' ', '\n', '\n\n', '  \n', '\n- ', '\n1. ', '\n> ', '\n> > ', '\n```\n', '\n    ', '\n\n    ', '\n* * *\n']
  const next = seededRandom(15)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!
  const bodies = Array.from({ length: 3000 }, () => Array.from({ length: 1 + Math.floor(next() * 14) }, () => pick(PIECES) + pick(BREAKS)).join('').trim()).filter((b) => b !== '')
  const whole = (text: string) => excerptOf(text, Number.MAX_SAFE_INTEGER)

  it('reads the words plainTextOf reads from the Markdown, for 3,000 random bodies', () => {
    const differ = bodies.filter((b) => whole(textOfRendered(renderPostBody(b, '/c/lobby/general/t/1'))) !== whole(plainTextOf(b)))
    expect(bodies.length).toBeGreaterThan(2900)
    expect(differ.slice(0, 3)).toEqual([])
  })

  it('examples: marks dropped, entities read back, a line or block end is a space', () => {
    const read = (md: string) => whole(textOfRendered(renderPostBody(md, '/t')))
    expect(read('A **b** [c](https://x.org/?a=1&b=2) `<d>` & "e" >>1\n\n> f\n- g\n\n```\nh < i\n```')).toBe('A b c <d> & "e" >>1 f g h < i')
    expect(read('one\ntwo')).toBe('one two')
  })

  it('the start of the HTML: a tag or entity cut at its end is dropped, and the excerpt says it goes on', () => {
    const html = renderPostBody('Some words then [a link](https://example.org/long/address) &amp; more words after it', '/t')
    const full = whole(textOfRendered(html))
    for (let n = 1; n < html.length; n++) {
      const start = textOfRendered(html.slice(0, n))
      expect(start).not.toMatch(/[<>]|&[a-z]/)
      expect(full.startsWith(whole(start))).toBe(true)
      const e = excerptOf(start, EXCERPT_CHARS, true)
      expect(e.endsWith('…')).toBe(true)
      expect(full.startsWith(e.slice(0, -1).trimEnd())).toBe(true)
    }
  })
})
