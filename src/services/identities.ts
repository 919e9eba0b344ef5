import { DomainError } from '../domain/errors.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { generateDisposableKey } from '../pgp.ts'
import type { Deps } from './deps.ts'

/** Make a key pair on the server and keep it only in a new ephemeral session. */
export async function takeDisposableIdentity(deps: Deps): Promise<Session> {
  const key = await generateDisposableKey()
  return deps.sessions.create({ kind: 'disposable', fingerprint: key.fingerprint, armoredPublic: key.armoredPublic, armoredPrivate: key.armoredPrivate })
}

/** The armored private key, handed out once; the session remembers that it was. */
export async function takePrivateKeyOnce(deps: Deps, session: Session | null): Promise<string> {
  if (!session || session.kind !== 'disposable' || !session.armoredPrivate) throw new DomainError(404, 'There is no disposable identity in this session, so there is no private key to download.')
  if (session.privateKeyDownloaded) throw new DomainError(410, 'Your private key was offered once and has already been downloaded. It is not offered again.')
  await deps.sessions.markPrivateKeyDownloaded(session.id)
  return session.armoredPrivate
}

/** End the session at once: the private key it held is forgotten. */
export async function burnIdentity(deps: Deps, session: Session | null): Promise<void> {
  if (session) await deps.sessions.delete(session.id)
}
