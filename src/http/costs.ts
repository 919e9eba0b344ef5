import { Hono } from 'hono'
import { DomainError } from '../domain/errors.ts'
import { drawCostPicture } from '../services/costs.ts'
import type { Deps } from '../services/deps.ts'
import type { AppEnv } from './env.ts'
import { t } from '../i18n/index.ts'

// The picture of a captcha (shown with JavaScript off, views/partials/cost.ts). It needs no session:
// it is mounted before the viewer's middleware.
export function costRoutes(deps: Deps) {
  return new Hono<AppEnv>().get('/cost/:file{[A-Za-z0-9_-]{56}\\.png}', async (c) => {
    const drawn = await drawCostPicture(deps, c.req.param('file').slice(0, -4))
    if (!drawn) throw new DomainError(404, t('costs.no_picture'))
    // Over this process's drawing budget: a picture that says so (503), and the question still works.
    return c.body(drawn.png as Uint8Array<ArrayBuffer>, drawn.busy ? 503 : 200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store', ...(drawn.busy ? { 'Retry-After': '1' } : {}) })
  })
}
