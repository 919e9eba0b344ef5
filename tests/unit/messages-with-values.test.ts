import { createIntl } from '@formatjs/intl'
import { describe, expect, it, vi } from 'vitest'
import { inLang, LANGS, loadCatalog, t } from '../../src/i18n/index.ts'

// t() with placeholders fills a message compiled once per language (src/i18n/index.ts), not
// through formatjs's formatMessage on every call: every message of every catalog, filled with a
// number, a word or a date in each placeholder, must read as formatjs writes it.
const placeholders = (message: string) => [...new Set([...message.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))]

describe('messages with placeholders', () => {
  for (const l of LANGS) {
    it(`are filled in ${l} as formatjs fills them`, () => {
      const catalog = loadCatalog(l)
      const formatjs = createIntl({ locale: l, messages: catalog, onError: () => {} })
      const silenced = vi.spyOn(console, 'error').mockImplementation(() => {})
      let checked = 0
      try {
        for (const [key, message] of Object.entries(catalog)) {
          const names = placeholders(message)
          if (names.length === 0) continue
          for (const value of [0, 1, 3, 21, 'other', 'a word <b>', new Date(Date.UTC(2026, 10, 22, 9))]) {
            const values = Object.fromEntries(names.map((n) => [n, value]))
            expect(inLang(l, () => t(key, values)), `${l} ${key} ${String(value)}`).toEqual(formatjs.formatMessage({ id: key }, values))
            checked++
          }
        }
      } finally {
        silenced.mockRestore()
      }
      expect(checked).toBeGreaterThan(100)
    })
  }
})
