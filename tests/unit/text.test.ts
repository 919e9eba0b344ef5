import { describe, expect, it } from 'vitest'
import { DomainError } from '../../src/domain/errors.ts'
import { canonicalPostText, parsePostText } from '../../src/domain/posts.ts'
import { canonicalBody, checkBody, checkLine } from '../../src/domain/text.ts'

const statusOf = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    if (e instanceof DomainError) return e.status
    throw e
  }
  return 'ok'
}

describe('canonicalBody', () => {
  it('normalises line ends and strips trailing white space and blank edges, as openpgp verification does', () => {
    expect(canonicalBody('\r\n\nfirst  \r\nsecond\t\n\n')).toBe('first\nsecond')
  })
})

describe('checkBody / checkLine', () => {
  it('refuses NUL and other control characters with 400', () => {
    expect(statusOf(() => checkBody('body', 'a\u0000b', 100))).toBe(400)
    expect(statusOf(() => checkBody('body', 'a\u001bb', 100))).toBe(400)
    expect(statusOf(() => checkLine('title', 'a\nb', 100))).toBe(400)
  })
  it('refuses bidi overrides that can disguise text', () => {
    expect(statusOf(() => checkLine('title', 'abc\u202Edef', 100))).toBe(400)
  })
  it('refuses empty and over-long input with 422, counting characters not bytes', () => {
    expect(statusOf(() => checkBody('body', '  \n ', 100))).toBe(422)
    expect(statusOf(() => checkLine('title', 'é'.repeat(10), 10))).toBe('ok')
    expect(statusOf(() => checkLine('title', 'é'.repeat(11), 10))).toBe(422)
  })
  it('keeps tabs and newlines', () => {
    expect(checkBody('body', 'a\tb\nc', 100)).toBe('a\tb\nc')
  })
})

describe('canonical post text', () => {
  it('round-trips through parsePostText', () => {
    const p = { site: 'example.onion', cell: 'lobby', board: 'general', thread: 12, title: null, body: 'hello\n\nworld' }
    expect(parsePostText(canonicalPostText(p))).toEqual(p)
    const t = { ...p, thread: 'new' as const, title: 'A title' }
    expect(parsePostText(canonicalPostText(t))).toEqual(t)
  })
  it('refuses a text that is not a cellboard post', () => {
    expect(statusOf(() => parsePostText('hello\n\nworld'))).toBe(422)
    expect(statusOf(() => parsePostText('cellboard post v1\nsite: x\ncell: y\nboard: z\nthread: 0\n\nbody'))).toBe(422)
  })
})
