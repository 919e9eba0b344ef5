import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { pseudonymOf, showPseudonym } from '../../src/domain/pseudonym.ts'

describe('pseudonymOf', () => {
  const fpr = '3f2a9c1be0d4c7a8b6e5f40312a9c7d8e1f20a3b'

  it('is deterministic: the same fingerprint always gives the same handle', () => {
    expect(pseudonymOf(fpr)).toEqual(pseudonymOf(fpr.toUpperCase()))
  })

  it('is two words from the fixed list plus the last 8 hex digits', () => {
    const p = pseudonymOf(fpr)
    expect(p.handle).toMatch(/^[a-z]+-[a-z]+$/)
    expect(p.short).toBe('E1F2 0A3B')
    expect(showPseudonym(p)).toBe(`${p.handle} · E1F2 0A3B`)
  })

  it('changes with the leading bits of the fingerprint', () => {
    const other = '3f2b9c1be0d4c7a8b6e5f40312a9c7d8e1f20a3b'
    expect(pseudonymOf(other).handle).not.toBe(pseudonymOf(fpr).handle)
  })

  it('spreads over many handles (no constant output)', () => {
    const handles = new Set<string>()
    for (let i = 0; i < 500; i++) handles.add(pseudonymOf(randomBytes(20).toString('hex')).handle)
    expect(handles.size).toBeGreaterThan(450)
  })

  it('refuses something that is not a fingerprint', () => {
    expect(() => pseudonymOf('not-hex')).toThrow()
  })
})
