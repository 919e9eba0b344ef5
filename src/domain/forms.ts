import { DomainError } from './errors.ts'
import { pseudonymOf, showPseudonym } from './pseudonym.ts'
import { t } from '../i18n/index.ts'

const FINGERPRINT = /^[0-9a-f]{40}([0-9a-f]{24})?$/

/**
 * A form bound to an identity names the key it was shown for. If the browser holds another key
 * now (it burned that one and took another, in this tab or another), the form must not be sent as
 * the new key: the person wrote it as the first. Null when the form names no key (a hand-made
 * request: its form token alone decides) or the key held now. `then` says what happens next (a
 * sentence from the catalog; by default, that the form is shown again).
 */
export function identityChanged(formKey: string | undefined, holding: string, then?: string): DomainError | null {
  if (!formKey || formKey === holding) return null
  if (!FINGERPRINT.test(formKey)) return new DomainError(400, t('forms.key_not_fingerprint'))
  const changed = t('forms.identity_changed', { was: showPseudonym(pseudonymOf(formKey)), now: showPseudonym(pseudonymOf(holding)) })
  return new DomainError(409, `${changed} ${then ?? t('forms.shown_again')}`)
}

/**
 * A form bound to a key, sent from a browser that holds no identity now (it burned the key, or the
 * session ended, since the form was shown). Null when the form names no key.
 */
export function identityGone(formKey: string | undefined, then: string): DomainError | null {
  if (!formKey) return null
  if (!FINGERPRINT.test(formKey)) return new DomainError(400, t('forms.key_not_fingerprint'))
  return new DomainError(409, `${t('forms.identity_gone', { was: showPseudonym(pseudonymOf(formKey)) })} ${then}`)
}
