import { createIntl } from '@formatjs/intl'
import { describe, expect, it, vi } from 'vitest'
import { day, inLang, LANGS, when } from '../../src/i18n/index.ts'

// A published time and a day are written by one Intl.DateTimeFormat per language, made once
// (src/i18n/index.ts), not through formatjs's formatDate on every call: the text must be the very
// one formatjs wrote, in every language, for every hour of two years.
const WHEN = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short', hourCycle: 'h23' } as const
const DAY = { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' } as const
const hours = Array.from({ length: 2 * 366 * 24 }, (_, i) => new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString())

describe('published times and days', () => {
  for (const l of LANGS) {
    it(`are written in ${l} as formatjs writes them`, () => {
      const formatjs = createIntl({ locale: l, messages: {}, onError: () => {} })
      const [ours, theirs] = [[] as string[], [] as string[]]
      inLang(l, () => {
        for (const iso of hours) ours.push(when(iso), day(iso))
      })
      for (const iso of hours) theirs.push(formatjs.formatDate(iso, WHEN), formatjs.formatDate(iso, DAY))
      expect(ours).toEqual(theirs)
      // Each language writes them its own way (a test of one language's output against another's would fail).
      expect(new Set(ours).size).toBeGreaterThan(hours.length)
    })
  }

  // when() puts a time together from each day's text and the language's hours and minutes
  // (src/i18n/index.ts): any minute, seconds it drops, before 1970 and far ahead read the same.
  it('at any minute and on any day are written as formatjs writes them', () => {
    let seed = 7
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const times = Array.from({ length: 3000 }, () => new Date(Date.UTC(1900, 0, 1) + Math.floor(next() * 300 * 365.25 * 86_400_000)).toISOString())
    times.push('1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '2026-11-22T09:07:31.000Z')
    for (const l of LANGS) {
      const formatjs = createIntl({ locale: l, messages: {}, onError: () => {} })
      expect(inLang(l, () => times.map((iso) => when(iso)))).toEqual(times.map((iso) => formatjs.formatDate(iso, WHEN)))
    }
  })

  it('in the language being read, and a date that cannot be read as formatjs shows it', () => {
    const iso = '2026-02-03T04:00:00.000Z'
    const [en, es, ar] = LANGS.map((l) => inLang(l, () => when(iso)))
    expect(new Set([en, es, ar]).size).toBe(3)
    expect(en).toBe('Feb 3, 2026, 04:00 UTC')
    const formatjs = createIntl({ locale: 'en', messages: {}, onError: () => {} })
    const reported = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(inLang('en', () => day('not a date'))).toBe(formatjs.formatDate('not a date', DAY))
    expect(reported).toHaveBeenCalledOnce()
    reported.mockRestore()
  })
})
