import { Hono } from 'hono'
import { DomainError } from '../domain/errors.ts'
import type { Session } from '../ephemeral/sessions.ts'
import type { Deps } from '../services/deps.ts'
import { issueCost, payCost } from '../services/costs.ts'
import { burnAsAsked, burnIdentity, issueLoginChallenge, logInWithSignedChallenge, revokeKey, takeDisposableIdentity, takePrivateKeyOnce } from '../services/identities.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { identityMain } from '../../views/pages/identity.ts'
import type { AppEnv } from './env.ts'
import { dropCookie, writeCookie } from './cookies.ts'
import { renewFormCookie } from './middleware/form-token.ts'
import { localPath, orFormAgain, sendPage, viewerOf, whoOf, type C, type Status } from './render.ts'
import { t } from '../i18n/index.ts'

const KEY_HEADERS = { 'Content-Type': 'application/pgp-keys; charset=utf-8', 'Cache-Control': 'no-store' }

/**
 * The next identity starts on a new connection: one kept alive across a burn, or across taking an
 * identity, would carry both keys' requests (something in front of the server could link them).
 */
const freshConnection = (c: C) => c.header('Connection', 'close')

export function identityRoutes(deps: Deps) {
  async function renderIdentity(c: C, status: Status, forms: { disposable?: FormState; login?: FormState; revoke?: FormState } = {}) {
    const session = c.get('session')
    // Each showing of the forms gets its own costs: a refused form comes back with fresh ones.
    const [identity, login] = session ? [null, null] : await Promise.all([issueCost(deps, 'identity'), issueCost(deps, 'login')])
    const main = identityMain({
      viewer: viewerOf(c, deps),
      privateKeyOffered: session?.kind === 'disposable' && !session.privateKeyDownloaded,
      sessionHours: deps.config.sessionIdleMs / 3600_000,
      expired: c.get('sessionExpired'),
      burned: c.req.query('burned') === '1' && !session,
      revoked: c.req.query('revoked') === '1',
      next: localPath(c.req.query('next') ?? c.get('form').next),
      challenge: session ? null : await issueLoginChallenge(deps),
      costs: { identity, login },
      disposable: forms.disposable ?? emptyForm(),
      login: forms.login ?? emptyForm(),
      revoke: forms.revoke ?? emptyForm(),
    })
    // Its title as its heading says: one to take, or the one held.
    return sendPage(c, deps, status, t(session ? 'identity.page_title' : 'identity.take_heading'), main)
  }

  /**
   * One session holds one key: a new identity ends the previous session first. The browser gets a
   * new form-token cookie with it, so nothing it keeps links this key to the one before.
   */
  async function startSession(c: C, make: () => Promise<Session>) {
    const session = await make()
    // A new identity in place of another ends that one as a burn does, and drops the language it
    // picked with it (a rare one would say who the next identity is). The first identity keeps it.
    if (c.get('session') || c.get('sessionExpired')) dropCookie(c, deps, 'lang')
    await burnIdentity(deps, c.get('session'))
    writeCookie(c, deps, 'session', session.id)
    renewFormCookie(c, deps)
    freshConnection(c)
    const next = localPath(c.get('form').next)
    return c.redirect(next ? `/identity?next=${encodeURIComponent(next)}` : '/identity', 303)
  }

  return new Hono<AppEnv>()
    .get('/identity', (c) => renderIdentity(c, 200))
    .post('/identity/disposable', (c) =>
      orFormAgain(
        async () => {
          await payCost(deps, 'identity', c.get('form'))
          return startSession(c, () => takeDisposableIdentity(deps))
        },
        (e, status) => renderIdentity(c, status, { disposable: refusedForm({}, e) }),
      ))
    // The challenge alone, for a browser key to sign (static/browser-key.js).
    .get('/identity/challenge', async (c) => c.text(await issueLoginChallenge(deps), 200, { 'Cache-Control': 'no-store' }))
    .post('/identity/login', async (c) => {
      const form = c.get('form')
      const input = { publicKey: form.public_key ?? '', signed: form.signed ?? '', via: form.via === 'browser' ? ('browser' as const) : ('gpg' as const), cost: form }
      return orFormAgain(
        async () => {
          const session = await logInWithSignedChallenge(deps, input)
          return startSession(c, async () => session)
        },
        // The pasted key comes back; the signed challenge does not (a fresh one must be signed),
        // unless it was not used (too many logins at once, or the cost was not paid): then it can
        // simply be sent again.
        (e, status) => renderIdentity(c, status, { login: refusedForm(status === 429 || e.fields.cost ? { public_key: input.publicKey, signed: input.signed } : { public_key: input.publicKey }, e) }),
      )
    })
    .post('/identity/revoke', async (c) => {
      const form = c.get('form')
      const input = { publicKey: form.public_key ?? '', certificate: form.certificate ?? '' }
      return orFormAgain(
        async () => {
          await revokeKey(deps, input)
          return c.redirect('/identity?revoked=1', 303)
        },
        (e, status) => renderIdentity(c, status, { revoke: refusedForm({ public_key: input.publicKey, certificate: input.certificate }, e) }),
      )
    })
    // A state change, so a POST from the button on the identity page: a GET or HEAD (a prefetch,
    // a link preview, a curious proxy) must never use up the one download.
    .post('/identity/private-key.asc', async (c) => {
      const armored = await takePrivateKeyOnce(deps, whoOf(c))
      return c.body(armored, 200, { ...KEY_HEADERS, 'Content-Disposition': 'attachment; filename="cellboard-private-key.asc"' })
    })
    .get('/identity/private-key.asc', (c) => {
      c.header('Allow', 'POST')
      throw new DomainError(405, t('identity.private_by_button'))
    })
    .get('/identity/public-key.asc', (c) => {
      const session = c.get('session')
      if (!session) throw new DomainError(404, t('identity.no_identity'))
      return c.body(session.armoredPublic, 200, { ...KEY_HEADERS, 'Content-Disposition': 'attachment; filename="cellboard-public-key.asc"' })
    })
    // The viewer's own posts, marked by a stylesheet of this session alone, so the cached thread
    // page stays one copy for every reader (each post carries data-key, its key's fingerprint).
    // It names only this session's key, is never stored (no-store; same-origin only, and the
    // SameSite=Strict cookie is not sent from another site), and is empty with no session: after a
    // burn it names nothing, so nothing in the browser links the burned key to the next.
    .get('/identity/own-posts.css', (c) => {
      // Only for this site's own pages: a page elsewhere that got this sheet applied could test
      // every public fingerprint against it and learn which posts are the reader's. SameSite=Strict
      // and CORP already stop that in today's browsers; a browser that says where the request
      // came from (Sec-Fetch-Site) and names another site gets nothing either way.
      const site = c.req.header('sec-fetch-site')
      const fingerprint = site === undefined || site === 'same-origin' || site === 'none' ? c.get('session')?.fingerprint : undefined
      // Every character outside printable ASCII, and " and \, as a CSS escape: nothing in the
      // catalog's words can end the CSS string (a line or form feed would), whatever the language.
      const you = ` ${t('identity.you_mark')}`.replace(/[^ -~]|["\\]/gu, (ch) => `\\${ch.codePointAt(0)!.toString(16)} `)
      const css = fingerprint && /^[0-9a-f]+$/.test(fingerprint) ? `[data-key="${fingerprint}"] > header > b::after { content: "${you}"; }\n[data-key="${fingerprint}"] { border-inline-start: 3px solid var(--line); padding-inline-start: .5rem; }\n` : ''
      return c.body(css, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-store', Vary: 'Cookie' })
    })
    .post('/identity/burn', async (c) => {
      await burnAsAsked(deps, whoOf(c))
      dropCookie(c, deps, 'session')
      // A language picked by this reader goes too: a rare one would say the next identity is the same person.
      dropCookie(c, deps, 'lang')
      // Nothing in the browser may link the burned key to the next one.
      renewFormCookie(c, deps)
      freshConnection(c)
      return c.redirect('/identity?burned=1', 303)
    })
}
