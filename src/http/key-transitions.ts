import { Hono } from 'hono'
import { notFound } from '../domain/errors.ts'
import type { Deps } from '../services/deps.ts'
import { readKeyTransitionFile, readKeyTransitions } from '../services/key-transitions.ts'
import { keyTransitionsMain } from '../../views/pages/key-transitions.ts'
import type { AppEnv } from './env.ts'
import { parseId, sendPage } from './render.ts'
import { t } from '../i18n/index.ts'

// A cell's earlier keys and the statements that named their successors (src/services/key-transitions.ts).
// Mounted before the boards: "key-transitions" is no board's name.
const TRANSITION = '/c/:cell/key-transitions/:n{[0-9]+}'

export function keyTransitionRoutes(deps: Deps) {
  const numberOf = (v: string | undefined) => {
    const n = parseId(v)
    if (n === null) throw notFound(t('keys.transition_not_found'))
    return n
  }
  return new Hono<AppEnv>()
    .get('/c/:cell/key-transitions', async (c) => {
      const data = await readKeyTransitions(deps, c.req.param('cell'))
      return sendPage(c, deps, 200, t('keys.transitions_title', { cell: data.cell.name }), keyTransitionsMain(data))
    })
    .get(`${TRANSITION}/key.asc`, async (c) => {
      const n = numberOf(c.req.param('n'))
      const key = await readKeyTransitionFile(deps, c.req.param('cell'), n, 'key')
      return c.body(key, 200, { 'Content-Type': 'application/pgp-keys; charset=utf-8', 'Content-Disposition': `attachment; filename="${c.req.param('cell')}-key-transition-${n}-old-key.asc"` })
    })
    .get(`${TRANSITION}/statement.asc`, async (c) => {
      const n = numberOf(c.req.param('n'))
      const statement = await readKeyTransitionFile(deps, c.req.param('cell'), n, 'statement')
      return c.body(statement, 200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `attachment; filename="${c.req.param('cell')}-key-transition-${n}-statement.asc"` })
    })
}
