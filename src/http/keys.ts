import { Hono } from 'hono'
import { findKey } from '../db/keys.ts'
import { notFound } from '../domain/errors.ts'
import type { Deps } from '../services/deps.ts'
import type { AppEnv } from './env.ts'

// Public keys that signed published content, by fingerprint, for gpg --import. Nothing here
// lists what a key signed.
export function keyRoutes(deps: Deps) {
  return new Hono<AppEnv>().get('/k/:file{[0-9a-fA-F]{40,64}\\.asc}', async (c) => {
    const key = await findKey(deps.db, c.req.param('file').slice(0, -4).toLowerCase())
    if (!key) throw notFound('That key')
    return c.body(key.armored, 200, {
      'Content-Type': 'application/pgp-keys; charset=utf-8',
      'Content-Disposition': `attachment; filename="${key.fingerprint}.asc"`,
    })
  })
}
