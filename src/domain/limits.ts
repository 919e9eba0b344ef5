import { DomainError } from './errors.ts'

// How often one key may do each thing. The board uses no address to tell people apart, by design:
// a flood is bounded per key, a new key costs something to take (the proof of work or captcha),
// and a key's first hour is stricter, so a flood needs many keys and pays for each.
export type LimitedAction = 'thread' | 'reply' | 'question' | 'ballot' | 'preview'
export type Window = { points: number; windowMs: number }
export type Limits = Record<LimitedAction, Window> & { newKeyDivisor: number }

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

const WHAT: Record<LimitedAction, [string, string]> = {
  thread: ['threads', 'start a thread'],
  reply: ['replies', 'reply'],
  question: ['questions', 'raise a question'],
  ballot: ['ballots', 'vote'],
  preview: ['previews', 'preview a post'],
}

const per = (ms: number) => (ms >= 3600_000 ? 'an hour' : `every ${Math.round(ms / 60_000)} minutes`)
const times = (n: number) => (n === 1 ? 'once' : `${n} times`)

/**
 * The refusal: what the limit is, and when the person may go on. Their text is kept by the form.
 * `full` is the limit after a key's first hour, when `w` is the stricter one of its first hour.
 */
export function limitReached(action: LimitedAction, w: Window, retryMs: number, full: Window | null): DomainError {
  const [things, doing] = WHAT[action]
  const minutes = Math.max(1, Math.ceil(retryMs / 60_000))
  const rule = full
    ? `In its first hour a key may ${doing} ${times(w.points)} ${per(w.windowMs)} (${times(full.points)} after that)`
    : `A key may ${doing} ${times(w.points)} ${per(w.windowMs)}`
  return new DomainError(
    429,
    `${rule}, and this one has. You may ${doing} again in about ${minutes} minute${minutes === 1 ? '' : 's'}. ` +
      `Nothing was saved; what you wrote is kept below. (Limits keep a board readable when someone floods it with ${things}.)`,
  )
}
