import { findKey } from '../db/keys.ts'
import { isRevoked, recordRevocation } from '../db/revocations.ts'
import { challengeText, parseChallenge } from '../domain/challenge.ts'
import { DomainError, validateFields } from '../domain/errors.ts'
import { identityChanged } from '../domain/forms.ts'
import { coarseTime } from '../domain/time.ts'
import { SessionsFull, type KeyKind, type NewSession, type Session } from '../ephemeral/sessions.ts'
import { applyRevocation, assertKeyValid, forgetSigningKey, generateDisposableKey, keyValidAt, MAX_SHORT_SIGNED_BYTES, parsePublicKey, readClearsigned, verifyPasted } from '../pgp.ts'
import { payCost } from './costs.ts'
import type { Deps } from './deps.ts'
import type { Who } from './who.ts'

/** Make a key pair on the server and keep it only in a new ephemeral session. */
export async function takeDisposableIdentity(deps: Deps): Promise<Session> {
  const key = await generateDisposableKey(new Date(coarseTime(deps.now(), deps.config.timeGranularityMs)))
  return startSession(deps, { kind: 'disposable', fingerprint: key.fingerprint, armoredPublic: key.armoredPublic, armoredPrivate: key.armoredPrivate })
}

/**
 * A new session, unless the board holds as many as it may (MAX_SESSIONS): then no new identity,
 * and no live one pushed out to make room — a flood of new identities must not end the sessions
 * of people already holding one.
 */
async function startSession(deps: Deps, data: NewSession): Promise<Session> {
  try {
    return await deps.sessions.create(data)
  } catch (e) {
    if (!(e instanceof SessionsFull)) throw e
    throw new DomainError(503, 'This board holds as many identities as it can right now, so no new one can be taken. Identities already taken go on working. Try again later.')
  }
}

/** The armored private key, handed out once; the session remembers that it was. */
export async function takePrivateKeyOnce(deps: Deps, who: Who): Promise<string> {
  const session = who.session
  // Shown for a key burned since: never hand out the key this browser holds now instead.
  const changed = session && identityChanged(who.formKey, session.fingerprint, 'The private key of the identity this browser holds now was not handed out: download it from the identity page if you mean to.')
  if (changed) throw changed
  if (!session || session.kind !== 'disposable' || !session.armoredPrivate) throw new DomainError(404, 'There is no disposable identity in this session, so there is no private key to download.')
  if (session.privateKeyDownloaded) throw new DomainError(410, 'Your private key was offered once and has already been downloaded. It is not offered again.')
  await deps.sessions.markPrivateKeyDownloaded(session.id)
  return session.armoredPrivate
}

/** The person's "burn": their session ends, unless the form was shown for a key burned since. */
export async function burnAsAsked(deps: Deps, who: Who): Promise<void> {
  const changed = who.session && identityChanged(who.formKey, who.session.fingerprint, 'The identity this browser holds now was not burned: burn it from the identity page if you mean to.')
  if (changed) throw changed
  await burnIdentity(deps, who.session)
}

/** End the session at once: the private key it held is forgotten. */
export async function burnIdentity(deps: Deps, session: Session | null): Promise<void> {
  if (!session) return
  await deps.sessions.delete(session.id)
  forgetSigningKey(session.fingerprint)
}

/**
 * A key a person holds is checked at every use, not only at login: one that has expired since
 * (a session lasts hours) signs nothing more here, and its session ends. Disposable keys are made
 * here without an expiry.
 */
export async function assertKeyStillValid(deps: Deps, session: Session, what: 'sign' | 'read' = 'sign'): Promise<void> {
  if (session.kind === 'disposable') return
  if (await keyValidAt(session.armoredPublic, new Date(deps.now()))) return
  await burnIdentity(deps, session)
  throw new DomainError(403, what === 'sign'
    ? 'Your key has expired since you logged in, so it can no longer sign here. Nothing was saved, and your session has ended: log in with a valid key.'
    : 'Your key has expired since you logged in, so it no longer opens members’ boards. Your session has ended: log in with a valid key on the roster.')
}

/**
 * Whichever node ends a session (burned, revoked, removed from the roster, idle), every node drops
 * the parsed private key it may have kept for signing, at once rather than when it falls idle.
 */
export function forgetKeysOfEndedSessions(deps: Deps): void {
  deps.sessions.onEnded((fingerprint) => forgetSigningKey(fingerprint))
}

/** A fresh login challenge, to be signed with gpg --clearsign or in the browser. */
export async function issueLoginChallenge(deps: Deps): Promise<string> {
  return challengeText({ site: deps.config.siteId, purpose: 'login', nonce: await deps.challenges.issue('login') })
}

const CONSUME_MESSAGE = {
  unknown: 'That challenge was not issued here (or the server restarted since). Sign the new challenge below.',
  used: 'That challenge was already used. Each challenge logs in once: sign the new one below.',
  expired: 'That challenge is more than 10 minutes old. Sign the new one below.',
  'wrong-purpose': 'That challenge was made for another purpose. Sign the login challenge below.',
  busy: 'Too many logins are being checked at the moment. Your signed challenge was not used and stays good for 10 minutes from when it was shown: send it again in a minute.',
} as const

/**
 * Log in with a key the person holds (GnuPG, or a browser key): they clearsigned our challenge.
 * The key must pass the key policy and not be revoked here; the signature must be by that key over
 * the challenge exactly; the nonce must be ours, for "login", unused and under 10 minutes old.
 * A key's first login here pays the cost of a new identity (`cost`: the form's cost fields); a
 * key already published here (it signed something, or holds a roster role) does not.
 *
 * Checking signatures is what costs (an Ed25519 one ≈0.5 ms; a paste of 200 cost 100–130 ms
 * before this order: bench/worst-input.ts), so everything cheap comes first — sizes, one
 * signature, the key policy, the challenge's text — and the challenge is used up before any
 * signature is checked: a replayed paste costs almost nothing, and a failed one cannot be retried.
 */
export async function logInWithSignedChallenge(deps: Deps, input: { publicKey: string; signed: string; via: Exclude<KeyKind, 'disposable'>; cost: Record<string, string | undefined> }): Promise<Session> {
  validateFields(
    {
      public_key: () => { if (input.publicKey.trim() === '') throw new DomainError(422, '', { public_key: 'Paste your public key (gpg --armor --export KEYID).' }) },
      signed: () => { if (input.signed.trim() === '') throw new DomainError(422, '', { signed: 'Paste the challenge, clearsigned (gpg --clearsign).' }) },
    },
    'To log in, paste your public key and the signed challenge.',
  )
  const now = new Date(deps.now())
  const key = await parsePublicKey(input.publicKey)
  const pasted = await readClearsigned(input.signed, now, MAX_SHORT_SIGNED_BYTES)
  if (await isRevoked(deps.db, key.fingerprint)) throw new DomainError(403, 'That key was revoked here. It can no longer log in or sign.', { public_key: 'This key is revoked.' })
  const challenge = parseChallenge(pasted.text)
  if (challenge.site !== deps.config.siteId) throw new DomainError(422, `That challenge was made for another site (${challenge.site}), not this one.`, { signed: 'Sign the challenge shown on this page.' })
  if (challenge.purpose !== 'login') throw new DomainError(422, CONSUME_MESSAGE['wrong-purpose'], { signed: 'Sign the login challenge.' })
  // Paid before the challenge is used up: a refused payment leaves the signed challenge good.
  if (!(await findKey(deps.db, key.fingerprint))) await payCost(deps, 'login', input.cost)
  const consumed = await deps.challenges.consume(challenge.nonce, 'login')
  if (consumed !== 'ok') throw new DomainError(consumed === 'busy' ? 429 : 422, CONSUME_MESSAGE[consumed], { signed: CONSUME_MESSAGE[consumed] })
  // Used up: from here on, whatever fails, this challenge cannot log in again.
  await assertKeyValid(key, now)
  await verifyPasted(pasted, key)
  return startSession(deps, { kind: input.via, fingerprint: key.fingerprint, armoredPublic: key.armored, armoredPrivate: null })
}

/**
 * A revocation certificate marks its key revoked here for good: it can no longer log in or sign,
 * and its live sessions end at once. The revoked key is published in place of the old copy.
 */
export async function revokeKey(deps: Deps, input: { publicKey: string; certificate: string }): Promise<string> {
  validateFields(
    {
      public_key: () => { if (input.publicKey.trim() === '') throw new DomainError(422, '', { public_key: 'Paste the public key to revoke.' }) },
      certificate: () => { if (input.certificate.trim() === '') throw new DomainError(422, '', { certificate: 'Paste its revocation certificate.' }) },
    },
    'To revoke a key, paste the key and its revocation certificate.',
  )
  const { fingerprint, revokedArmored } = await applyRevocation(input.publicKey, input.certificate, new Date(deps.now()))
  await recordRevocation(deps.db, { fingerprint, revokedArmored, createdAt: coarseTime(deps.now(), deps.config.timeGranularityMs) })
  await deps.sessions.deleteByFingerprint(fingerprint)
  forgetSigningKey(fingerprint)
  return fingerprint
}
