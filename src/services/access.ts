import { standingOf } from '../db/roster.ts'
import { DomainError } from '../domain/errors.ts'
import { t } from '../i18n/index.ts'
import { parseTiers, reaches } from '../domain/tiers.ts'
import type { Session } from '../ephemeral/sessions.ts'
import type { Deps } from './deps.ts'
import { assertKeyStillValid } from './identities.ts'

// The one access decision (issue 12's need-to-know tiers). Whatever a viewer asks to do in a cell
// — read a board and anything on it, post there, read the cell's inbox — is a need (the least
// tier the board or cell names; null: anyone) met or not by the tier their key holds on the
// cell's roster. Pages, fragments, signed texts, questions, bundles, keys and the inbox all come
// here (through reading.ts and letters.ts); who votes is the same rule in SQL (voterKeyIds).

export type Doing = 'read' | 'post' | 'inbox'

const REFUSALS: Record<Doing, Record<'no session' | 'below', string>> = {
  read: { 'no session': 'errors.read_no_session', below: 'errors.read_below' },
  post: { 'no session': 'errors.post_no_session', below: 'errors.post_below' },
  inbox: { 'no session': 'errors.inbox_no_session', below: 'errors.inbox_below' },
}
const refusalText = (doing: Doing, need: string, why: 'no session' | 'below') => t(REFUSALS[doing][why], { tier: need })

/** Why this viewer may not do this in the cell, or null when they may. */
export async function refusal(deps: Deps, cellId: number, need: string | null, doing: Doing, session: Session | null): Promise<DomainError | null> {
  if (need === null) return null
  if (!session) return new DomainError(403, refusalText(doing, need, 'no session'))
  try {
    // The roster names keys, and a key may expire while its session lives on: check it each time.
    await assertKeyStillValid(deps, session, doing === 'post' ? 'sign' : 'read')
  } catch (e) {
    if (e instanceof DomainError) return e
    throw e
  }
  const standing = await standingOf(deps.db, cellId, session.fingerprint)
  if (!standing || !reaches(parseTiers(standing.tiers), standing.tier, need)) return new DomainError(403, refusalText(doing, need, 'below'))
  return null
}

export const may = async (deps: Deps, cellId: number, need: string | null, doing: Doing, session: Session | null) =>
  (await refusal(deps, cellId, need, doing, session)) === null
