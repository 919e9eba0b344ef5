import { describe, expect, it } from 'vitest'
import { amendedPrinciples, ballotText, carries, defaultQuorum, outcomeOf, parseBallot, settledOutcome, type Tally } from '../../src/domain/questions.ts'

const t = (yes: number, no: number, abstain: number, eligible: number, threshold: Tally['threshold'] = 'majority', quorum = defaultQuorum(eligible)): Tally => ({ yes, no, abstain, eligible, quorum, threshold })

describe('tallies', () => {
  it('majority: more yes than no; two thirds: at least two thirds of yes and no', () => {
    expect(carries(2, 1, 'majority')).toBe(true)
    expect(carries(1, 1, 'majority')).toBe(false)
    expect(carries(2, 1, 'two_thirds')).toBe(true)
    expect(carries(3, 2, 'two_thirds')).toBe(false)
    expect(carries(0, 0, 'two_thirds')).toBe(false)
  })

  it('quorum counts every ballot, abstentions too; default is half the voters rounded up', () => {
    expect(defaultQuorum(3)).toBe(2)
    expect(defaultQuorum(4)).toBe(2)
    expect(outcomeOf(t(1, 0, 0, 4))).toBe('no_quorum')
    expect(outcomeOf(t(1, 0, 1, 4))).toBe('adopted')
    expect(outcomeOf(t(1, 1, 0, 4))).toBe('rejected')
  })

  it('settles early only when the voters left cannot change the outcome', () => {
    expect(settledOutcome(t(1, 0, 0, 3))).toBeNull() // quorum not met yet
    expect(settledOutcome(t(2, 0, 0, 3))).toBe('adopted') // the last voter cannot tie it
    expect(settledOutcome(t(1, 1, 0, 3))).toBeNull() // the last voter decides
    expect(settledOutcome(t(0, 2, 0, 3))).toBe('rejected')
    expect(settledOutcome(t(1, 1, 1, 3))).toBe('rejected') // everyone voted
    expect(settledOutcome(t(2, 0, 0, 3, 'two_thirds'))).toBe('adopted') // even 2 yes to 1 no is two thirds
    expect(settledOutcome(t(2, 0, 0, 4, 'two_thirds'))).toBeNull() // 2 yes to 2 no would not be
  })

  it('ballot texts round-trip and anything else is refused', () => {
    const b = { site: 'x.onion', cell: 'lobby', question: 7, line: 2, choice: 'abstain' as const }
    expect(parseBallot(ballotText(b))).toEqual(b)
    expect(() => parseBallot(ballotText(b).replace('abstain', 'maybe'))).toThrow()
    expect(() => parseBallot(`${ballotText(b)}\nextra: line`)).toThrow()
  })
})

describe('amendedPrinciples: an amendment applies to the principle as it read when raised', () => {
  const v1 = ['A', 'B', 'C']
  it('on an unchanged line, by its number', () => {
    expect(amendedPrinciples(v1, v1, 'replace', 2, 'B2')).toEqual(['A', 'B2', 'C'])
    expect(amendedPrinciples(v1, v1, 'remove', 1, null)).toEqual(['B', 'C'])
    expect(amendedPrinciples(v1, v1, 'add', null, 'D')).toEqual(['A', 'B', 'C', 'D'])
  })
  it('on a line changed since, by its text: it follows the principle, or does nothing once it is gone', () => {
    const v2 = ['B', 'C'] // A was removed by an earlier decision
    expect(amendedPrinciples(v2, v1, 'remove', 1, null)).toBeNull()
    expect(amendedPrinciples(v2, v1, 'replace', 3, 'C2')).toEqual(['B', 'C2'])
    expect(amendedPrinciples(v2, v1, 'remove', 2, null)).toEqual(['C'])
  })
  it('with two principles of the same text, the one that was named', () => {
    const twice = ['A', 'B', 'A']
    expect(amendedPrinciples(twice, twice, 'remove', 3, null)).toEqual(['A', 'B'])
    expect(amendedPrinciples(twice, twice, 'replace', 3, 'C')).toEqual(['A', 'B', 'C'])
    // B was removed since: the second A is still the second A.
    expect(amendedPrinciples(['A', 'A'], twice, 'replace', 3, 'C')).toEqual(['A', 'C'])
  })
})
