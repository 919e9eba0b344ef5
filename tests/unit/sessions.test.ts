import { describe, expect, it } from 'vitest'
import { MemorySessionStore } from '../../src/ephemeral/sessions.ts'

const data = (fingerprint: string) => ({ kind: 'gpg' as const, fingerprint, armoredPublic: 'x', armoredPrivate: null })

describe('the memory session store tells when a session ends', () => {
  it('on delete, on removal by key and on idle expiry, with the key’s fingerprint; not on a miss', async () => {
    let now = 0
    const store = new MemorySessionStore(1000, () => now)
    const heard: string[] = []
    store.onEnded((f) => heard.push(f))
    const a = await store.create(data('a'))
    await store.create(data('b'))
    await store.create(data('c'))
    await store.delete(a.id)
    await store.delete(a.id) // already gone: nothing more to tell
    await store.deleteByFingerprint('b')
    now += 1001
    store.sweep()
    expect(heard).toEqual(['a', 'b', 'c'])
    store.close()
  })
})
