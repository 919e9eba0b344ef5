import { DomainError } from './errors.ts'
import { pseudonymOf, showPseudonym } from './pseudonym.ts'

const FINGERPRINT = /^[0-9a-f]{40}([0-9a-f]{24})?$/
const SHOWN_AGAIN = 'The form is shown again below, now for the key this browser holds: send it only if you mean it as that key.'

/**
 * A form bound to an identity names the key it was shown for. If the browser holds another key
 * now (it burned that one and took another, in this tab or another), the form must not be sent as
 * the new key: the person wrote it as the first. Null when the form names no key (a hand-made
 * request: its form token alone decides) or the key held now. `then` says what happens next.
 */
export function identityChanged(formKey: string | undefined, holding: string, then = SHOWN_AGAIN): DomainError | null {
  if (!formKey || formKey === holding) return null
  if (!FINGERPRINT.test(formKey)) return new DomainError(400, 'This form names the key it was shown for, but not as a fingerprint, so it was not accepted and nothing was saved. Open the form again.')
  return new DomainError(409, `This form was opened as ${showPseudonym(pseudonymOf(formKey))}; this browser now holds ${showPseudonym(pseudonymOf(holding))}. Nothing was sent or saved. ${then}`)
}
