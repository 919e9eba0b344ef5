import { Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import type { Deps } from '../services/deps.ts'
import { burnIdentity, takeDisposableIdentity, takePrivateKeyOnce } from '../services/identities.ts'
import { identityMain } from '../../views/pages/identity.ts'
import type { AppEnv } from './env.ts'
import { cookieOptions, SESSION_COOKIE } from './middleware.ts'
import { localPath, sendPage, viewerOf } from './render.ts'
import { DomainError } from '../domain/errors.ts'

const KEY_HEADERS = { 'Content-Type': 'application/pgp-keys; charset=utf-8', 'Cache-Control': 'no-store' }

export function identityRoutes(deps: Deps) {
  return new Hono<AppEnv>()
    .get('/identity', (c) => {
      const session = c.get('session')
      const next = localPath(c.req.query('next'))
      const main = identityMain({
        viewer: viewerOf(c, deps),
        privateKeyOffered: session?.kind === 'disposable' && !session.privateKeyDownloaded,
        sessionHours: deps.config.sessionIdleMs / 3600_000,
        expired: c.get('sessionExpired'),
        burned: c.req.query('burned') === '1' && !session,
        next,
      })
      return sendPage(c, deps, 200, 'Your identity', main)
    })
    .post('/identity/disposable', async (c) => {
      // Taking a new identity ends the old one: one session holds one key.
      await burnIdentity(deps, c.get('session'))
      const session = await takeDisposableIdentity(deps)
      setCookie(c, SESSION_COOKIE, session.id, cookieOptions(deps))
      const next = localPath(c.get('form').next)
      return c.redirect(next ? `/identity?next=${encodeURIComponent(next)}` : '/identity', 303)
    })
    .get('/identity/private-key.asc', async (c) => {
      const armored = await takePrivateKeyOnce(deps, c.get('session'))
      return c.body(armored, 200, { ...KEY_HEADERS, 'Content-Disposition': 'attachment; filename="cellboard-private-key.asc"' })
    })
    .get('/identity/public-key.asc', (c) => {
      const session = c.get('session')
      if (!session) throw new DomainError(404, 'There is no identity in this session.')
      return c.body(session.armoredPublic, 200, { ...KEY_HEADERS, 'Content-Disposition': 'attachment; filename="cellboard-public-key.asc"' })
    })
    .post('/identity/burn', async (c) => {
      await burnIdentity(deps, c.get('session'))
      deleteCookie(c, SESSION_COOKIE, { path: '/' })
      return c.redirect('/identity?burned=1', 303)
    })
}
