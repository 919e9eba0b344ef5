import { Hono } from 'hono'
import { t } from '../i18n/index.ts'
import type { Deps } from '../services/deps.ts'
import { privacyFacts } from '../services/privacy.ts'
import { privacyMain } from '../../views/pages/privacy.ts'
import type { AppEnv } from './env.ts'
import { sendPage } from './render.ts'

export function privacyRoutes(deps: Deps) {
  // The facts are the same for every request; the words are the request's language's.
  const props = privacyFacts(deps)
  return new Hono<AppEnv>().get('/privacy', (c) => sendPage(c, deps, 200, t('privacy.title'), privacyMain(props)))
}
