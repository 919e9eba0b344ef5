import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// How often one key may do each thing. The board uses no address to tell people apart, by design:
// a flood is bounded per key, a new key costs something to take (the proof of work or captcha),
// and a key's first hour is stricter, so a flood needs many keys and pays for each.
export type LimitedAction = 'thread' | 'reply' | 'question' | 'ballot' | 'preview'
export type Window = { points: number; windowMs: number }
export type Limits = Record<LimitedAction, Window> & { newKeyDivisor: number }

/**
 * Revocations of keys this server has never seen (no row: nothing signed, no role, no live
 * session), per process a minute (services/identities.ts revokeKey says why).
 */
export const UNKNOWN_KEY_REVOCATIONS_PER_MINUTE = 10

/** A key on the cell's roster raises questions four times as often as one off it. */
export const ROSTER_QUESTION_FACTOR = 4
/** A key is new for its first hour. */
export const NEW_KEY_MS = 3600_000

/** The window a key gets for an action: the limit, divided for a new key (at least one). */
export function windowFor(limits: Limits, action: LimitedAction, opts: { newKey: boolean; onRoster?: boolean }): Window {
  const w = limits[action]
  const points = action === 'question' && opts.onRoster ? w.points * ROSTER_QUESTION_FACTOR : w.points
  return { points: opts.newKey ? Math.max(1, Math.floor(points / limits.newKeyDivisor)) : points, windowMs: w.windowMs }
}

/**
 * The refusal: what the limit is, and when the person may go on. Their text is kept by the form.
 * `full` is the limit after a key's first hour, when `w` is the stricter one of its first hour.
 * Each sentence is one catalog message; the action, the counts and the window are its values.
 */
export function limitReached(action: LimitedAction, w: Window, retryMs: number, full: Window | null): DomainError {
  const minutes = Math.max(1, Math.ceil(retryMs / 60_000))
  // The window: an hour (or more: said as an hour), else every N minutes.
  const per = { per: w.windowMs >= 3600_000 ? 'hour' : 'minutes', window: Math.round(w.windowMs / 60_000) }
  const rule = full ? t('forms.limit_rule_first_hour', { action, count: w.points, full: full.points, ...per }) : t('forms.limit_rule', { action, count: w.points, ...per })
  return new DomainError(429, `${rule} ${t('forms.limit_again', { action, minutes })} ${t('forms.limit_kept', { action })}`)
}
