import { describe, expect, it } from 'vitest'
import { DomainError } from '../../src/domain/errors.ts'
import { canonicalPostText, parsePostText } from '../../src/domain/posts.ts'
import { canonicalBody, checkBody, checkLine } from '../../src/domain/text.ts'
import { inLang } from '../../src/i18n/index.ts'

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

describe('invisible and look-alike text (titles and names)', () => {
  const fieldOf = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      if (e instanceof DomainError) return Object.values(e.fields)[0] ?? e.message
      throw e
    }
    return 'ok'
  }
  it('refuses a title made only of zero-width, filler or blank characters, as empty', () => {
    for (const t of ['\u200B\u200B', '\u200D', '\uFEFF', '\u2060\u2060', '\u3164', '\u3164\u3164 \u3164', '\u115F\u1160', '\uFFA0', '\u2800\u2800', ' \u200B \u00A0 ', '\u0301\u0301']) {
      expect(statusOf(() => checkLine('title', t, 100)), JSON.stringify(t)).toBe(422)
    }
    expect(fieldOf(() => checkLine('title', '\u200B\u200B', 100))).toMatch(/empty|invisible/i)
  })
  it('refuses format characters in a title: zero-width spaces, word joiners, direction marks, the BOM, soft hyphens', () => {
    for (const t of ['ab\u200Bcd', 'ab\u2060cd', 'a\uFEFFb', 'admin\u200E', '\u200Fabc', 'ab\u061Ccd', 'pay\u00ADpal', 'x\u3164y']) {
      expect(statusOf(() => checkLine('title', t, 100)), JSON.stringify(t)).toBe(422)
    }
    expect(fieldOf(() => checkLine('title', 'ab\u200Bcd', 100))).toMatch(/invisible/i)
  })
  it('keeps the joiners that scripts and emoji need between visible characters', () => {
    // Persian writes a zero-width non-joiner inside words; emoji families are joined by ZWJ.
    expect(checkLine('title', 'می\u200Cخواهم', 100)).toBe('می\u200Cخواهم')
    expect(checkLine('title', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', 100)).toBe('\u{1F468}\u200D\u{1F469}\u200D\u{1F467}')
    expect(statusOf(() => checkLine('title', '\u200Cabc', 100))).toBe(422)
    expect(statusOf(() => checkLine('title', 'abc\u200D', 100))).toBe(422)
  })
  it('caps marks stacked on one letter, in titles and bodies, and keeps what real scripts use', () => {
    const zalgo = `Z${'\u0301'.repeat(199)}algo`
    expect(statusOf(() => checkLine('title', zalgo, 300))).toBe(422)
    expect(statusOf(() => checkBody('body', zalgo, 300))).toBe(422)
    expect(fieldOf(() => checkBody('body', zalgo, 300))).toMatch(/marks/i)
    // Vietnamese (two marks), Hebrew with points and cantillation (four), Tibetan stacks (three).
    for (const t of ['Tiếng Việt', 'Vie\u0323\u0302t', '\u05D1\u05BC\u05B0\u0591\u05BD', '\u0F66\u0F92\u0FB2\u0F74\u0F56']) expect(checkLine('title', t, 100)).toBe(t)
  })
  it('refuses a body that is empty once invisible characters are removed', () => {
    expect(statusOf(() => checkBody('body', '\u200B\n\u2060', 100))).toBe(422)
    expect(checkBody('body', 'a\u200Bb', 100)).toBe('a\u200Bb')
  })
  it('refuses line and paragraph separators in a title', () => {
    expect(statusOf(() => checkLine('title', 'a\u2028b', 100))).toBe(400)
  })
})

describe('look-alikes and wide clusters an outsider found after the first fix', () => {
  const look = ['ad\uFE0Fmin', 'ad\u{E0100}min', 'ad\u180Bmin', 'ad\u17B4min', 'ad\u17B5min', 'ad\u200Dmin', 'ad\u200Cmin', '\uE000', 'ab\uE000cd']
  it('refuses variation selectors, Khmer inherent vowels, joiners between Latin letters and private-use characters in titles', () => {
    for (const t of look) expect(statusOf(() => checkLine('title', t, 100)), JSON.stringify(t)).toBe(422)
  })
  it('keeps variation selectors and joiners where writing needs them: emoji, CJK variants, Persian, Devanagari', () => {
    for (const t of ['I \u2764\uFE0F this', '\u{1F469}\u{1F3FD}\u200D\u{1F4BB} at work', '\u845B\u{E0100}', 'می\u200Cخواهم', '\u0915\u094D\u200D\u0937', 'Family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}']) {
      expect(checkLine('title', t, 100), JSON.stringify(t)).toBe(t)
    }
  })
  it('counts marks across joiners: six marks on one letter stay six with a joiner between them', () => {
    const bypass = `Z${'\u0300\u0301\u0302\u0303\u0304\u200D'.repeat(30)}`
    expect(statusOf(() => checkLine('title', bypass, 300))).toBe(422)
    expect(statusOf(() => checkBody('body', bypass, 300))).toBe(422)
  })
  it('refuses clusters that cannot wrap: runs of spacing or enclosing marks, long chains of joined emoji', () => {
    for (const t of [`a${'\u0903'.repeat(100)}`, `a${'\u20DD\u200D'.repeat(200)}`, `x${'\u200D\u{1F600}'.repeat(80)}`]) {
      expect(statusOf(() => checkLine('title', t, 1000)), JSON.stringify(t.slice(0, 6))).toBe(422)
      expect(statusOf(() => checkBody('body', t, 1000)), JSON.stringify(t.slice(0, 6))).toBe(422)
    }
  })
})

describe('a line field’s messages name the field in a whole sentence of the language', () => {
  const messageOf = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      if (e instanceof DomainError) return e.message
      throw e
    }
    return 'ok'
  }
  it('by kind, by a principle’s number, or by the English label callers passed before', () => {
    expect(messageOf(() => checkLine('title', '', 100))).toBe('The title is empty.')
    expect(messageOf(() => checkLine('name', '', 100, 'The name'))).toBe('The name is empty.')
    expect(messageOf(() => checkLine('principles', 'x'.repeat(9), 5, 'Principle 3'))).toBe('Principle 3 is too long.')
    expect(inLang('es', () => messageOf(() => checkLine('description', '', 300, 'description')))).toBe('La descripción está vacía.')
    expect(inLang('es', () => messageOf(() => checkLine('principles', '', 300, 3)))).toBe('El principio 3 está vacío.')
    expect(inLang('ar', () => messageOf(() => checkLine('title', 'a\u0000', 300)))).toBe('يحتوي العنوان على محارف تحكّم أو فواصل أسطر.')
  })
})
