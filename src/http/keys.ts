import { Hono } from 'hono'
import type { Deps } from '../services/deps.ts'
import { readPublishedKey } from '../services/reading.ts'
import type { AppEnv } from './env.ts'

// Public keys that signed published content, by fingerprint, for gpg --import: a key is served to
// those who may read something it signed (services/reading.ts). Nothing here lists what a key signed.
export function keyRoutes(deps: Deps) {
  return new Hono<AppEnv>().get('/k/:file{[0-9a-fA-F]{40,64}\\.asc}', async (c) => {
    const key = await readPublishedKey(deps, c.req.param('file').slice(0, -4), c.get('session'))
    return c.body(key.armored, 200, {
      'Content-Type': 'application/pgp-keys; charset=utf-8',
      'Content-Disposition': `attachment; filename="${key.fingerprint}.asc"`,
    })
  })
}
