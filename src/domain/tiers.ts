import { DomainError } from './errors.ts'
import { lang, tIn, t, type Lang } from '../i18n/index.ts'

// Need-to-know tiers: a cell's own ordered names for how far a key is trusted, lowest first
// (default member < voter). Every access decision compares two places in that order (reaches);
// "anyone" (null) is below every tier, and is what a public board asks to be read.

export const DEFAULT_TIERS: readonly string[] = ['member', 'voter']
const TIER = /^[a-z][a-z0-9-]{0,23}$/
/** What operators and forms write for "no tier needed". */
export const ANYONE = 'anyone'

export const parseTiers = (stored: string): string[] => stored.split(',')

/** A list of tier names, lowest first, as an operator writes it ("supporter,member,cadre"). */
export function checkTierList(input: string): string[] {
  const names = input.split(/[,\s]+/).filter((s) => s !== '')
  if (names.length === 0) throw new DomainError(422, t('errors.tiers_none'))
  if (names.length > 12) throw new DomainError(422, t('errors.tiers_too_many'))
  for (const n of names) {
    if (!TIER.test(n)) throw new DomainError(422, t('errors.tier_name_bad', { name: n }))
    if (n === ANYONE) throw new DomainError(422, t('errors.tier_anyone', { anyone: ANYONE }))
  }
  if (new Set(names).size !== names.length) throw new DomainError(422, t('errors.tiers_twice'))
  return names
}

/** Which tier a refusal names: a roster key's, the board's read or post tier, the cell's vote or inbox tier. */
export type TierRole = 'tier' | 'read' | 'post' | 'vote' | 'inbox'

/** A tier of the cell (a name it lists), or a clear refusal naming the tiers it has. */
export function tierOfCell(tiers: readonly string[], name: string, what: TierRole = 'tier'): string {
  if (!tiers.includes(name)) throw new DomainError(422, t('errors.tier_not_in_cell', { what, name, tiers: tiers.join(' < ') }))
  return name
}

/** A board's least tier, where "anyone" (or nothing) means no tier is needed. */
export const tierOrAnyone = (tiers: readonly string[], name: string | undefined | null, what: TierRole): string | null =>
  !name || name === ANYONE ? null : tierOfCell(tiers, name, what)

/** Whether a key at tier `have` (null: not on the roster) reaches the least tier `need` (null: anyone). */
export function reaches(tiers: readonly string[], have: string | null, need: string | null): boolean {
  if (need === null) return true
  if (have === null) return false
  const h = tiers.indexOf(have)
  return h >= 0 && h >= tiers.indexOf(need)
}

/** The tiers from `need` up: who reaches it. */
export const tiersFrom = (tiers: readonly string[], need: string): string[] => tiers.slice(Math.max(0, tiers.indexOf(need)))

/** "member and up", "anyone": how a page (or, in its cell's language, the decision log) says who may read or post. */
export const describeNeed = (tiers: readonly string[], need: string | null, l: Lang = lang()): string =>
  need === null ? tIn(l, 'errors.need_anyone') : need === tiers[tiers.length - 1] ? need : tIn(l, 'errors.need_from', { tier: need })
