import { findKey } from '../db/keys.ts'
import type { Rule } from '../ephemeral/rate-limits.ts'
import { isRevoked, recordRevocation } from '../db/revocations.ts'
import { onAnyRoster } from '../db/roster.ts'
import { challengeText, parseChallenge } from '../domain/challenge.ts'
import { DomainError, validateFields } from '../domain/errors.ts'
import { identityChanged } from '../domain/forms.ts'
import { coarseTime } from '../domain/time.ts'
import { SessionsFull, type KeyKind, type NewSession, type Session } from '../ephemeral/sessions.ts'
import { applyRevocation, assertKeyValid, forgetSigningKey, generateDisposableKey, keyValidAt, MAX_SHORT_SIGNED_BYTES, parsePublicKey, readClearsigned, verifyPasted } from '../pgp.ts'
import { payCost } from './costs.ts'
import type { Deps } from './deps.ts'
import type { Who } from './who.ts'
import { t } from '../i18n/index.ts'

/** Make a key pair on the server and keep it only in a new ephemeral session. */
export async function takeDisposableIdentity(deps: Deps): Promise<Session> {
  const key = await generateDisposableKey(new Date(coarseTime(deps.now(), deps.config.timeGranularityMs)))
  return startSession(deps, { kind: 'disposable', fingerprint: key.fingerprint, armoredPublic: key.armoredPublic, armoredPrivate: key.armoredPrivate })
}

/**
 * A new session, unless the board holds as many as it may (MAX_SESSIONS): then no new identity,
 * and no live one pushed out to make room — a flood of new identities must not end the sessions
 * of people already holding one.
 *
 * But a key on a cell's roster logging in with its own key gets in past the cap: a script that
 * pays the JS-off question (a regex's work) can fill the cap with identities and keep it full, and
 * then no voter could log in to vote, nor raise the question that answers it. Past the cap such a
 * key holds one session at most (its others end as it logs in), so the room it takes is bounded by
 * the rosters, which only decisions and the operator change.
 */
async function startSession(deps: Deps, data: NewSession, mayPassCap?: () => Promise<boolean>): Promise<Session> {
  try {
    return await deps.sessions.create(data)
  } catch (e) {
    if (!(e instanceof SessionsFull)) throw e
    // Asked only at the cap: a login below it reads no roster.
    if (mayPassCap && (await mayPassCap())) {
      await deps.sessions.deleteByFingerprint(data.fingerprint)
      return deps.sessions.create(data, { pastCap: true })
    }
    throw new DomainError(503, t('identity.sessions_full'))
  }
}

/**
 * How long after the private key's download the same form sent again gets it again: a double click
 * on a slow Tor circuit sends it twice, the browser shows the second answer and drops the first,
 * and a 410 there left the person without their key (a new user's walkthrough). Short, because
 * whoever holds this browser's session meanwhile could take the key too.
 */
const PRIVATE_KEY_AGAIN_MS = 120_000
/** How far behind another node's clock may be, for that window. */
const CLOCK_SKEW_MS = 10_000

/** The armored private key, handed out once (and again within PRIVATE_KEY_AGAIN_MS); the session remembers that it was. */
export async function takePrivateKeyOnce(deps: Deps, who: Who): Promise<string> {
  const session = who.session
  // Shown for a key burned since: never hand out the key this browser holds now instead.
  const changed = session && identityChanged(who.formKey, session.fingerprint, t('identity.private_changed'))
  if (changed) throw changed
  if (!session || session.kind !== 'disposable' || !session.armoredPrivate) throw new DomainError(404, t('identity.no_disposable'))
  if (session.privateKeyDownloaded) {
    // Stamped by the clock of the node that handed it out; another node's may be a little behind.
    const since = deps.now() - (session.privateKeyDownloadedAt ?? Number.NEGATIVE_INFINITY)
    if (since > -CLOCK_SKEW_MS && since <= PRIVATE_KEY_AGAIN_MS) return session.armoredPrivate
    throw new DomainError(410, t('identity.private_taken'))
  }
  await deps.sessions.markPrivateKeyDownloaded(session.id, deps.now())
  return session.armoredPrivate
}

/** The person's "burn": their session ends, unless the form was shown for a key burned since. */
export async function burnAsAsked(deps: Deps, who: Who): Promise<void> {
  const changed = who.session && identityChanged(who.formKey, who.session.fingerprint, t('identity.burn_changed'))
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
    ? t('identity.expired_sign')
    : t('identity.expired_read'))
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
  unknown: () => t('identity.challenge_unknown'),
  used: () => t('identity.challenge_used'),
  expired: () => t('identity.challenge_expired'),
  'wrong-purpose': () => t('identity.challenge_wrong_purpose'),
  busy: () => t('identity.challenge_busy'),
} as const

/** A day, the window of the counts below. */
const DAY_MS = 86_400_000
/** Failed logins a day by a key known here before its logins ask for the check (freeLogin). */
const FAILED_FREE_LOGINS_PER_DAY = 20
const freeLogins = (deps: Deps): Rule => ({ action: 'free-login', points: deps.config.keyFreeLoginsPerDay, windowMs: DAY_MS })
const failedLogins: Rule = { action: 'failed-login', points: FAILED_FREE_LOGINS_PER_DAY, windowMs: DAY_MS }

/**
 * Whether this login goes without the check: a key known here (it signed something published, or
 * holds a roster role) does, KEY_FREE_LOGINS_PER_DAY times a day, and not once it failed
 * FAILED_FREE_LOGINS_PER_DAY times that day. Without a bound, a key that paid once and posted once
 * logged in again and again for nothing (an outsider's script: 101 sessions a second, each kept
 * SESSION_IDLE_HOURS) until MAX_SESSIONS was full and no one new could take an identity; and its
 * public half, pasted with any signature, used up a login challenge each time at no cost.
 *
 * The free login is counted at once (so logins sent together cannot all go free), and given back
 * if the login fails (forgetFailedLogin): anyone may paste a published key, and must not spend its
 * holder's free logins. What a stranger can learn by pasting it is one bit: whether its holder,
 * or failures, used the day's free logins up. The counts are per key, forget themselves after a
 * day, and say nothing of which sessions were made.
 */
async function freeLogin(deps: Deps, fingerprint: string): Promise<boolean> {
  if (deps.config.keyFreeLoginsPerDay === 0 || !(await findKey(deps.db, fingerprint))) return false
  if ((await deps.rateLimits.used(failedLogins, fingerprint)) >= FAILED_FREE_LOGINS_PER_DAY) return false
  return (await deps.rateLimits.take(freeLogins(deps), fingerprint)) === null
}

/** A free login failed (no signature by the key, a challenge used already): its free login back, a failure counted instead. */
async function forgetFailedLogin(deps: Deps, fingerprint: string): Promise<void> {
  await Promise.all([deps.rateLimits.giveBack(freeLogins(deps), fingerprint), deps.rateLimits.take(failedLogins, fingerprint)])
}

/**
 * Log in with a key the person holds (GnuPG, or a browser key): they clearsigned our challenge.
 * The key must pass the key policy and not be revoked here; the signature must be by that key over
 * the challenge exactly; the nonce must be ours, for "login", unused and under 10 minutes old.
 * A key's first login here pays the cost of a new identity (`cost`: the form's cost fields); a
 * key already published here (it signed something, or holds a roster role) does not, a few times
 * a day (freeLogin).
 *
 * Checking signatures is what costs (an Ed25519 one ≈0.5 ms; a paste of 200 cost 100–130 ms
 * before this order: bench/worst-input.ts), so everything cheap comes first — sizes, one
 * signature, the key policy, the challenge's text — and the challenge is used up before any
 * signature is checked: a replayed paste costs almost nothing, and a failed one cannot be retried.
 */
export async function logInWithSignedChallenge(deps: Deps, input: { publicKey: string; signed: string; via: Exclude<KeyKind, 'disposable'>; cost: Record<string, string | undefined> }): Promise<Session> {
  validateFields(
    {
      public_key: () => { if (input.publicKey.trim() === '') throw new DomainError(422, '', { public_key: t('identity.paste_public_key') }) },
      signed: () => { if (input.signed.trim() === '') throw new DomainError(422, '', { signed: t('identity.paste_signed') }) },
    },
    t('identity.login_missing'),
  )
  const now = new Date(deps.now())
  const key = await parsePublicKey(input.publicKey)
  const pasted = await readClearsigned(input.signed, now, MAX_SHORT_SIGNED_BYTES)
  if (await isRevoked(deps.db, key.fingerprint)) throw new DomainError(403, t('identity.key_revoked_here'), { public_key: t('identity.key_revoked_field') })
  const challenge = parseChallenge(pasted.text)
  if (challenge.site !== deps.config.siteId) throw new DomainError(422, t('identity.other_site', { site: challenge.site }), { signed: t('identity.sign_this_page') })
  if (challenge.purpose !== 'login') throw new DomainError(422, CONSUME_MESSAGE['wrong-purpose'](), { signed: t('identity.sign_login') })
  // Paid before the challenge is used up: a refused payment leaves the signed challenge good.
  const free = deps.config.abuseCosts && (await freeLogin(deps, key.fingerprint))
  if (deps.config.abuseCosts && !free) await payCost(deps, 'login', input.cost)
  try {
    const consumed = await deps.challenges.consume(challenge.nonce, 'login')
    if (consumed !== 'ok') throw new DomainError(consumed === 'busy' ? 429 : 422, CONSUME_MESSAGE[consumed](), { signed: CONSUME_MESSAGE[consumed]() })
    // Used up: from here on, whatever fails, this challenge cannot log in again.
    await assertKeyValid(key, now)
    await verifyPasted(pasted, key, true)
  } catch (e) {
    if (free) await forgetFailedLogin(deps, key.fingerprint)
    throw e
  }
  return startSession(deps, { kind: input.via, fingerprint: key.fingerprint, armoredPublic: key.armored, armoredPrivate: null }, () => onAnyRoster(deps.db, key.fingerprint))
}

/**
 * A revocation certificate marks its key revoked here for good: it can no longer log in or sign,
 * and its live sessions end at once. The revoked key is published in place of the old copy.
 *
 * A key this server has never seen (no row: it signed nothing and holds no role; and no live
 * session) is revoked here too, so that whoever took it cannot log in with it later; but only
 * UNKNOWN_KEY_REVOCATIONS_PER_MINUTE a minute on this process: keys made at home cost nothing, and
 * each revocation is a row kept for good, so without a bound anyone filled the disk (an outsider
 * stored 200 in seconds). Past it, 429 and nothing recorded; a key known here is never held back.
 */
export async function revokeKey(deps: Deps, input: { publicKey: string; certificate: string }): Promise<string> {
  validateFields(
    {
      public_key: () => { if (input.publicKey.trim() === '') throw new DomainError(422, '', { public_key: t('identity.revoke_paste_key') }) },
      certificate: () => { if (input.certificate.trim() === '') throw new DomainError(422, '', { certificate: t('identity.revoke_paste_certificate') }) },
    },
    t('identity.revoke_missing'),
  )
  const { fingerprint, revokedArmored } = await applyRevocation(input.publicKey, input.certificate, new Date(deps.now()))
  // Its sessions end first: a key with one is known here, and must not wait for the budget.
  const ended = await deps.sessions.deleteByFingerprint(fingerprint)
  if (ended === 0 && !(await findKey(deps.db, fingerprint)) && !(await isRevoked(deps.db, fingerprint)) && !(await deps.revocationBudget.take())) {
    throw new DomainError(429, t('identity.revoke_unknown_busy'), { certificate: t('identity.revoke_again_later') })
  }
  await recordRevocation(deps.db, { fingerprint, revokedArmored, createdAt: coarseTime(deps.now(), deps.config.timeGranularityMs) })
  // And again once recorded: a login that passed its isRevoked check before the record and made
  // its session after the first ending would otherwise keep a session of a revoked key.
  await deps.sessions.deleteByFingerprint(fingerprint)
  forgetSigningKey(fingerprint)
  return fingerprint
}
