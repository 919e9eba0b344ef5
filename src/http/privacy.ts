import { Hono } from 'hono'
import type { Deps } from '../services/deps.ts'
import { privacyFacts } from '../services/privacy.ts'
import { privacyMain } from '../../views/pages/privacy.ts'
import type { AppEnv } from './env.ts'
import { sendPage } from './render.ts'

export function privacyRoutes(deps: Deps) {
  const props = privacyFacts(deps)
  return new Hono<AppEnv>().get('/privacy', (c) => sendPage(c, deps, 200, 'Privacy', privacyMain(props)))
}
