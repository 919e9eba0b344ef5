import { readdirSync } from 'node:fs'
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser'
import { describe, expect, it } from 'vitest'
import { LANGS, loadCatalog } from '../../src/i18n/index.ts'

// The catalogs (src/i18n/messages/<language>/<area>.json): every language has every key, each
// message is ICU MessageFormat that parses, and a translation uses the same placeholders as the
// English (a missing {count} would print a wrong number; an extra one, a raw brace).
const catalogs = Object.fromEntries(LANGS.map((l) => [l, loadCatalog(l)]))

/** The names a message fills in, and for each plural, whether it has its `other` case. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const e of elements) {
    if (e.type === TYPE.argument || e.type === TYPE.number || e.type === TYPE.date || e.type === TYPE.time) into.add(e.value)
    if (e.type === TYPE.plural || e.type === TYPE.select) {
      into.add(e.value)
      if (!('other' in e.options)) throw new Error(`{${e.value}} has no "other" case`)
      for (const o of Object.values(e.options)) placeholders(o.value, into)
    }
    if (e.type === TYPE.tag) placeholders(e.children, into)
  }
  return into
}

describe('message catalogs', () => {
  it('Arabic names a tier with one word: a refusal says مستوى, so the question that moves a key must too', () => {
    // Until 2026-12-07 the refusals and the cell's page said مستوى and the questions مرتبة: a member
    // refused a board could not tell that "move a key to another rank" was the way up.
    const uses = (word: RegExp) => Object.entries(catalogs.ar!).filter(([, m]) => word.test(m)).map(([k]) => k)
    expect(uses(/مرتب(?!ط)|مراتب/)).toEqual([])
    expect(uses(/مستو/)).toEqual(expect.arrayContaining(['question_kinds.label_move_key', 'errors.read_below']))
  })

  it('every language has the same areas', () => {
    const areas = (l: string) => readdirSync(new URL(`../../src/i18n/messages/${l}/`, import.meta.url)).sort()
    for (const l of LANGS) expect(areas(l), l).toEqual(areas('en'))
  })

  it('every language has every key, and no key the others lack', () => {
    const all = new Set(LANGS.flatMap((l) => Object.keys(catalogs[l]!)))
    const missing = LANGS.flatMap((l) => [...all].filter((k) => !(k in catalogs[l]!)).map((k) => `${l}: ${k}`))
    expect(missing).toEqual([])
  })

  it('every message parses, has an "other" in each plural, and fills the same names as the English', () => {
    const problems: string[] = []
    for (const l of LANGS) {
      for (const [key, message] of Object.entries(catalogs[l]!)) {
        try {
          const names = [...placeholders(parse(message, { requiresOtherClause: true }))].sort()
          const english = catalogs.en![key]
          if (english !== undefined) {
            const want = [...placeholders(parse(english))].sort()
            if (names.join() !== want.join()) problems.push(`${l}: ${key} fills {${names.join(', ')}}, the English {${want.join(', ')}}`)
          }
        } catch (e) {
          problems.push(`${l}: ${key}: ${(e as Error).message}`)
        }
        if (message.trim() === '') problems.push(`${l}: ${key} is empty`)
      }
    }
    expect(problems).toEqual([])
  })

  it('the test itself: a key one language lacks, and a placeholder it drops, are found', () => {
    const en = { 'a.b': '{count, plural, one {# vote} other {# votes}}' }
    const es: Record<string, string> = { 'a.b': '{n, plural, one {# voto} other {# votos}}' }
    expect([...placeholders(parse(es['a.b']!))]).not.toEqual([...placeholders(parse(en['a.b']))])
    expect(() => placeholders(parse('{count, plural, one {# vote}}'))).toThrow(/other/i)
  })
})
