import { Hono } from 'hono'
import { notFound } from '../domain/errors.ts'
import { SEARCH_RETRY_AFTER_S } from '../domain/search.ts'
import { t } from '../i18n/index.ts'
import type { Deps } from '../services/deps.ts'
import { findCellOrThrow } from '../services/reading.ts'
import { searchPosts } from '../services/search.ts'
import { searchMain } from '../../views/pages/search.ts'
import type { AppEnv } from './env.ts'
import { orFormAgain, parseId, sendPage, type C } from './render.ts'

/** GET only: a search changes nothing. A refused query gets the form again with the reason (422). */
async function showSearch(c: C, deps: Deps, cellSlug: string | null) {
  const q = c.req.query('q')
  const page = parseId(c.req.query('page') ?? '1')
  if (page === null) throw notFound(t('board.page_not_found'))
  const cell = cellSlug === null ? null : await findCellOrThrow(deps, cellSlug)
  const scope = cell && { slug: cell.slug, name: cell.name }
  const title = cell ? t('search.title_cell', { cell: cell.name }) : t('search.title')
  if (q === undefined) return sendPage(c, deps, 200, title, searchMain({ cell: scope, q: '', problem: null, found: null }))
  return orFormAgain(
    async () => {
      const found = await searchPosts(deps, { cell: cellSlug, q, page }, c.get('session'), c.req.raw.signal)
      return sendPage(c, deps, 200, t('search.title_query', { q: found.q, title }), searchMain({ cell: scope, q: found.q, problem: null, found }))
    },
    (refused, status) => {
      if (status === 503) c.header('Retry-After', String(SEARCH_RETRY_AFTER_S))
      return sendPage(c, deps, status, title, searchMain({ cell: scope, q: q.slice(0, 200), problem: refused.fields.q ?? refused.message, found: null }))
    },
  )
}

export function searchRoutes(deps: Deps) {
  return new Hono<AppEnv>()
    .get('/search', (c) => showSearch(c, deps, null))
    .get('/c/:cell/search', (c) => showSearch(c, deps, c.req.param('cell')))
}
