import { describe, expect, it } from 'vitest'
import { identityChanged } from '../../src/domain/forms.ts'
import { pseudonymOf, showPseudonym } from '../../src/domain/pseudonym.ts'

describe('a form shown for one key, sent while the browser holds another', () => {
  const a = '3f2a9c1be0d4c7a8b6e5f40312a9c7d8e1f20a3b'
  const b = 'b07c9c1be0d4c7a8b6e5f40312a9c7d8e1f21234'

  it('no key field (a hand-made request), or the key held now: nothing to say', () => {
    expect(identityChanged(undefined, b)).toBeNull()
    expect(identityChanged('', b)).toBeNull()
    expect(identityChanged(b, b)).toBeNull()
  })

  it('another key → 409 naming both pseudonyms, and what happens next', () => {
    const e = identityChanged(a, b, 'Next step.')!
    expect(e.status).toBe(409)
    expect(e.message).toBe(`This form was opened as ${showPseudonym(pseudonymOf(a))}; this browser now holds ${showPseudonym(pseudonymOf(b))}. Nothing was sent or saved. Next step.`)
  })

  it('a key field that is not a fingerprint → 400', () => {
    expect(identityChanged('not-a-key', b)!.status).toBe(400)
    expect(identityChanged(a.toUpperCase(), b)!.status).toBe(400)
  })
})
