import { DomainError } from './errors.ts'
import { pseudonymOf, showPseudonym } from './pseudonym.ts'
import { t } from '../i18n/index.ts'

const FINGERPRINT = /^[0-9a-f]{40}([0-9a-f]{24})?$/

/**
 * A form bound to an identity names the key it was shown for. If the browser holds another key
 * now (it burned that one and took another, in this tab or another), or none (`holding` null: it
 * burned it, or its session ended), the form must not be sent as the key held now: the person
 * wrote it as the first. Null when the form names no key (a hand-made request: its form token
 * alone decides) or the key held now. `then` says what happens next (a sentence from the catalog;
 * by default, that the form is shown again).
 */
export function identityChanged(formKey: string | undefined, holding: string | null, then?: string): DomainError | null {
  if (!formKey || formKey === holding) return null
  if (!FINGERPRINT.test(formKey)) return new DomainError(400, t('forms.key_not_fingerprint'))
  const was = showPseudonym(pseudonymOf(formKey))
  const changed = holding === null ? t('forms.identity_gone', { was }) : t('forms.identity_changed', { was, now: showPseudonym(pseudonymOf(holding)) })
  return new DomainError(409, `${changed} ${then ?? t('forms.shown_again')}`)
}
