import { Hono } from 'hono'
import { ephemeral, neverKept, registry } from '../db/registry.ts'
import type { Deps } from '../services/deps.ts'
import { privacyMain } from '../../views/pages/privacy.ts'
import type { AppEnv } from './env.ts'
import { sendPage } from './render.ts'

export function privacyRoutes(deps: Deps) {
  const props = {
    tables: Object.entries(registry).map(([name, t]) => ({ name, about: t.about, columns: Object.entries(t.columns) })),
    ephemeral,
    neverKept,
    granularityMinutes: deps.config.timeGranularityMs / 60_000,
    sessionHours: deps.config.sessionIdleMs / 3600_000,
  }
  return new Hono<AppEnv>().get('/privacy', (c) => sendPage(c, deps, 200, 'Privacy', privacyMain(props)))
}
