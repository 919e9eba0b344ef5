import { findKey } from '../db/keys.ts'
import { limitReached, NEW_KEY_MS, windowFor, type LimitedAction } from '../domain/limits.ts'
import type { Rule } from '../ephemeral/rate-limits.ts'
import type { Session } from '../ephemeral/sessions.ts'
import type { Deps } from './deps.ts'

/** What was counted, to give it back if the action is refused for another reason. */
export type Taken = { rule: Rule; key: string }

/**
 * Whether a key is in its first hour: a disposable key is as old as its session; a key a person
 * holds, as old as the first thing it published here (a coarse time, so "the first hour" may last
 * up to one granularity longer), or new if it published nothing yet.
 */
async function isNewKey(deps: Deps, session: Session): Promise<boolean> {
  if (session.kind === 'disposable') return deps.now() - session.startedAt < NEW_KEY_MS
  const key = await findKey(deps.db, session.fingerprint)
  return !key || deps.now() - Date.parse(key.created_at) < NEW_KEY_MS
}

/** Count one of an action for this session's key, or refuse (429) saying when it may go on. */
export async function takeLimit(deps: Deps, action: LimitedAction, session: Session, opts: { onRoster?: boolean } = {}): Promise<Taken> {
  const newKey = await isNewKey(deps, session)
  const w = windowFor(deps.config.limits, action, { newKey, onRoster: opts.onRoster })
  const full = windowFor(deps.config.limits, action, { newKey: false, onRoster: opts.onRoster })
  const rule = { action, ...w }
  const retryMs = await deps.rateLimits.take(rule, session.fingerprint)
  if (retryMs !== null) throw limitReached(action, w, retryMs, w.points < full.points ? full : null)
  return { rule, key: session.fingerprint }
}

/** Run `work` counted against the limit; if it is refused for another reason, the count comes back. */
export async function withinLimit<T>(deps: Deps, taken: Taken | null, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    if (taken) await deps.rateLimits.giveBack(taken.rule, taken.key).catch(() => {})
    throw e
  }
}
