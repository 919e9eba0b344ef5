import { Hono } from 'hono'
import { t } from '../i18n/index.ts'
import type { Deps } from '../services/deps.ts'
import { cellOverview, homeCells } from '../services/reading.ts'
import { homeMain } from '../../views/pages/home.ts'
import { cellMain } from '../../views/pages/cell.ts'
import { cellFeeds } from '../../views/layout.ts'
import type { AppEnv } from './env.ts'
import { sendPage } from './render.ts'

export function cellRoutes(deps: Deps) {
  return new Hono<AppEnv>()
    .get('/', async (c) => sendPage(c, deps, 200, t('cell.title_cells'), homeMain(await homeCells(deps))))
    .get('/c/:cell', async (c) => {
      const data = await cellOverview(deps, c.req.param('cell'), c.get('session'))
      return sendPage(c, deps, 200, data.cell.name, cellMain(data), cellFeeds(data.cell))
    })
}
