import { Hono } from 'hono'
import { robotsTxt } from '../domain/robots.ts'
import type { Deps } from '../services/deps.ts'
import { indexableBoardPaths } from '../services/reading.ts'
import type { AppEnv } from './env.ts'

export function robotsRoutes(deps: Deps) {
  // One small query a fetch: crawlers ask rarely, and an operator's change shows at once.
  return new Hono<AppEnv>().get('/robots.txt', async (c) => c.text(robotsTxt(await indexableBoardPaths(deps))))
}
