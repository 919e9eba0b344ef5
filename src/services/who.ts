import { DomainError } from '../domain/errors.ts'
import { identityChanged } from '../domain/forms.ts'
import type { Session } from '../ephemeral/sessions.ts'

/** Who sends a form: the session, and the key the form was shown for (if it names one). */
export type Who = { session: Session | null; expired: boolean; formKey?: string }

/**
 * The session a use case acts as. Refused (403) without one, saying whether it ended; refused
 * (409) when the form was shown for another key than the one this browser holds now.
 * `doing` completes "… needs an identity": "Posting", "Raising a question", "Voting".
 */
export function requireSession(who: Who, doing: string): Session {
  if (who.session) {
    const changed = identityChanged(who.formKey, who.session.fingerprint)
    if (changed) throw changed
    return who.session
  }
  throw new DomainError(403, who.expired
    ? 'Your identity’s session has ended (idle too long, or burned), so there is no key to sign with. Take an identity and submit again.'
    : `${doing} needs an identity to sign with. Take an identity (or log in with your key), then submit again.`)
}
