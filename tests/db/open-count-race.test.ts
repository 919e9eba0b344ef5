import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { countMyOpenQuestions, openCountChangedFor, openCountsChanged } from '../../src/services/questions/read.ts'
import { makeBoard, TEST_DIALECT } from '../support/app.ts'
import { queryGate } from '../support/query-gate.ts'

// A voter's header counts the open questions waiting for their ballot, kept ten seconds per key
// and dropped when a question opens or closes, or the key casts a ballot. A count read before
// such a change and kept after it (on PostgreSQL a read is a round trip: a voter's other tab, or
// another voter's question opening meanwhile) said the old number for ten seconds more. Here the
// read's rows are held by a Kysely plugin while the change is announced (no other query runs
// meanwhile, so SQLite's one connection is not needed by anyone else).

let board: Awaited<ReturnType<typeof makeBoard>>
let g: ReturnType<typeof queryGate>
beforeEach(async () => {
  board = await makeBoard()
  g = queryGate(board.deps)
})
afterEach(() => {
  g.restore()
  return board.close()
})

const fingerprint = 'a'.repeat(40)

describe(`a voter's open-question count read before a change is not kept after it (${TEST_DIALECT})`, () => {
  for (const [what, change] of [
    ['the key casts a ballot', () => openCountChangedFor(board.deps, fingerprint)],
    ['a question opens or closes', () => openCountsChanged(board.deps)],
  ] as const) {
    it(`${what} while the count is read: the next page reads it again`, async () => {
      // Kept: a second ask within ten seconds sends no query.
      await countMyOpenQuestions(board.deps, fingerprint)
      await countMyOpenQuestions(board.deps, 'b'.repeat(40))
      const before = g.queries()
      await countMyOpenQuestions(board.deps, fingerprint)
      expect(g.queries()).toBe(before)
      // Dropped, then read again with the change landing while the rows are on their way.
      change()
      expect(await g.across(() => countMyOpenQuestions(board.deps, fingerprint), change)).toBe(0)
      const after = g.queries()
      await countMyOpenQuestions(board.deps, fingerprint)
      expect(g.queries()).toBe(after + 1)
    })
  }

  it('another key casts a ballot while the count is read: the count is kept', async () => {
    expect(await g.across(() => countMyOpenQuestions(board.deps, fingerprint), () => openCountChangedFor(board.deps, 'b'.repeat(40)))).toBe(0)
    const after = g.queries()
    await countMyOpenQuestions(board.deps, fingerprint)
    expect(g.queries()).toBe(after)
  })
})
