import { DomainError } from '../domain/errors.ts'
import { identityChanged } from '../domain/forms.ts'
import { t } from '../i18n/index.ts'
import type { Session } from '../ephemeral/sessions.ts'

/** Who sends a form: the session, and the key the form was shown for (if it names one). */
export type Who = { session: Session | null; expired: boolean; formKey?: string }

/**
 * The session a use case acts as. Refused (403) without one, saying whether it ended; refused
 * (409) when the form was shown for another key than the one this browser holds now.
 * `doing` says what needs it: "Posting", "Previewing a post", "Raising a question", "Voting" (each
 * names a whole sentence in the catalog, errors.needs_identity).
 */
export function requireSession(who: Who, doing: string): Session {
  if (who.session) {
    const changed = identityChanged(who.formKey, who.session.fingerprint)
    if (changed) throw changed
    return who.session
  }
  throw new DomainError(403, who.expired ? t('errors.session_ended') : t('errors.needs_identity', { doing: DOING[doing] ?? (Object.values(DOING).includes(doing) ? doing : 'other') }))
}

/** What the callers say they are doing, as the catalog's sentence names it (errors.needs_identity; the name itself is taken too). */
const DOING: Record<string, string> = { Voting: 'voting', 'Raising a question': 'raising', Posting: 'posting', 'Previewing a post': 'previewing' }
