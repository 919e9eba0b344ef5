import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// A login challenge: the text a key signs to prove it is held. It binds the nonce to this site and
// to one purpose, so a signature made for something else (or for another site) cannot log in.
export const PURPOSES = ['login'] as const
export type Purpose = (typeof PURPOSES)[number]
export type Challenge = { site: string; purpose: Purpose; nonce: string }

const HEADER = 'cellboard challenge v1'

export const challengeText = (c: Challenge) => `${HEADER}\nsite: ${c.site}\npurpose: ${c.purpose}\nnonce: ${c.nonce}`

export function parseChallenge(text: string): { site: string; purpose: string; nonce: string } {
  const m = new RegExp(`^${HEADER}\\nsite: (\\S+)\\npurpose: (\\S+)\\nnonce: ([A-Za-z0-9_-]+)$`).exec(text)
  if (!m) throw new DomainError(422, t('identity.not_a_challenge'), { signed: t('identity.not_a_challenge_field') })
  return { site: m[1]!, purpose: m[2]!, nonce: m[3]! }
}
