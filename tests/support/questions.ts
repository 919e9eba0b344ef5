import { expect } from 'vitest'
import { ballotText, type Choice } from '../../src/domain/questions.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import type { Client, makeBoard } from './app.ts'
import { clearsignWith, heldKey, logInWith, unescape } from './keys.ts'

// Raising and deciding line questions over HTTP, in a board's default cell, with real signed
// ballots: a disposable identity confirms the text the server signs; a held key pastes a clearsigned one.

type Board = Awaited<ReturnType<typeof makeBoard>>
type HeldKey = Awaited<ReturnType<typeof heldKey>>
/** A voter: a client with a session, and either a held key (pastes clearsigned ballots) or a disposable one. */
export type Voter = { c: Client; fpr: string; key?: HeldKey }

/** The message of a refused form, for an assertion's label. */
export const alertOf = (page: string) => /role="alert">([^<]*)/.exec(page)?.[1]

export function questionsOf(board: Board, cell = 'lobby') {
  /** A disposable identity put on the roster by the operator. */
  async function disposableOnRoster(role: 'voter' | 'member' = 'voter'): Promise<Voter> {
    const c = board.client()
    const fpr = await c.takeIdentity()
    await addRosterKey(board.deps, { cell, armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: role })
    return { c, fpr }
  }

  /** A key held by a person (as GnuPG holds it), logged in; on the roster only if a role is given. */
  async function heldKeyVoter(role: 'voter' | 'member' | null = 'voter'): Promise<Voter> {
    const key = await heldKey()
    const c = board.client()
    await logInWith(c, key, 'gpg')
    if (role) await addRosterKey(board.deps, { cell, armoredKey: key.publicKey, tier: role })
    return { c, fpr: key.fingerprint, key }
  }

  /** Three voters, two kinds of key: a disposable identity and two held keys. */
  const threeVoters = async () => ({ disposable: await disposableOnRoster(), gpg: await heldKeyVoter(), other: await heldKeyVoter() })

  /** Open the kind's form, then send it (as a browser with JavaScript off would; htmx adds its headers). */
  async function raise(c: Client, fields: Record<string, string>, headers: Record<string, string> = {}) {
    await c.get(`/c/${cell}/questions/new?kind=${fields.kind}`)
    return c.post(`/c/${cell}/questions`, fields, headers)
  }

  /** Raise, expecting the question to open; its number. */
  async function raised(c: Client, fields: Record<string, string>): Promise<number> {
    const r = await raise(c, fields)
    expect(r.res.status, alertOf(r.text)).toBe(303)
    return Number(r.res.headers.get('location')!.split('/').pop())
  }

  const ballotFor = (q: number, choice: Choice, line = 1) => ballotText({ site: 'cellboard.local', cell, question: q, line, choice })

  /** Cast a real signed ballot the way this voter's key allows: confirm-then-sign, or paste a clearsigned text. */
  async function vote(v: Voter, q: number, choice: Choice) {
    await v.c.get(`/c/${cell}/questions/${q}`)
    if (v.key) return v.c.post(`/c/${cell}/questions/${q}/ballot`, { signed: await clearsignWith(v.key.privateKey, ballotFor(q, choice)) })
    const review = await v.c.post(`/c/${cell}/questions/${q}/ballot`, { choice })
    if (review.res.status !== 200) return review
    expect(unescape(review.text)).toContain(ballotFor(q, choice))
    return v.c.post(`/c/${cell}/questions/${q}/ballot`, { choice, confirm: 'yes' })
  }

  async function voteOk(v: Voter, q: number, choice: Choice) {
    const r = await vote(v, q, choice)
    expect(r.res.status, alertOf(r.text)).toBe(303)
  }

  return { disposableOnRoster, heldKeyVoter, threeVoters, raise, raised, vote, voteOk }
}
