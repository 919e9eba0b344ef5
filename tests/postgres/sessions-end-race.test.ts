import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { openEphemeral, type Ephemeral } from '../../src/ephemeral/index.ts'
import { dropRedisPrefix, TEST_REDIS_URL } from '../support/app.ts'

// Ending every session of a key (a revocation, a roster removal, a decision that ends a member's
// sessions) while the same key logs in on another node. The ending read the key's set of sessions,
// ended those, then deleted the set: a login between the read and the set's deletion made a
// session the ending did not see and then took it out of the set, so no later ending (a
// revocation ends a key's sessions twice for this kind of race: services/identities.ts) could
// find it, and it lived on for its idle time, twelve hours by default.
const opened: Ephemeral[] = []
const prefixes: string[] = []
afterEach(async () => {
  for (const e of opened.splice(0)) await e.close()
  for (const p of prefixes.splice(0)) await dropRedisPrefix(p)
})
const node = async (keyPrefix: string) => {
  const e = await openEphemeral({ redisUrl: TEST_REDIS_URL, allowPersistence: false, sessionIdleMs: 3600_000, keyPrefix })
  opened.push(e)
  return e
}

describe('ending a key\'s sessions while it logs in on another node', () => {
  it('leaves no session that a second ending cannot find', async () => {
    const prefix = `cbtest:${randomBytes(6).toString('hex')}:`
    prefixes.push(prefix)
    const [a, b] = [await node(prefix), await node(prefix)]
    const fingerprint = 'e'.repeat(40)
    const login = () => b.sessions.create({ kind: 'gpg', fingerprint, armoredPublic: 'x', armoredPrivate: null })
    const made: string[] = []
    for (let round = 0; round < 40; round++) {
      const [s] = await Promise.all([login(), a.sessions.deleteByFingerprint(fingerprint)])
      made.push(s.id)
    }
    // Each round's login landed before the ending (and was ended by it) or after (and is in the
    // key's set): the second ending finds every one of them.
    const live = async () => (await Promise.all(made.map((id) => b.sessions.get(id)))).filter((s) => s !== null).length
    await a.sessions.deleteByFingerprint(fingerprint)
    expect(await live()).toBe(0)
    // The same check can fail: a login after the last ending is live, and found.
    made.push((await login()).id)
    expect(await live()).toBe(1)
    expect(await a.sessions.deleteByFingerprint(fingerprint)).toBe(1)
    expect(await live()).toBe(0)
  })
})
