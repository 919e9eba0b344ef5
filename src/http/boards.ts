import { Hono } from 'hono'
import { DomainError, notFound } from '../domain/errors.ts'
import type { Deps } from '../services/deps.ts'
import { startThread } from '../services/posts.ts'
import { assertCanRead, readBoardPage } from '../services/reading.ts'
import { html } from '../../views/html.ts'
import { boardHead, newThreadForm, threadList, type BoardHeadProps } from '../../views/pages/board.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { pager } from '../../views/partials/pager.ts'
import type { AppEnv } from './env.ts'
import { idempotent } from './middleware/idempotency.ts'
import { encode, parseId, sendAround, viewerOf, whoOf, type C } from './render.ts'

type BoardMeta = BoardHeadProps & { boardId: number; cellId: number; page: number; pages: number }

export function boardRoutes(deps: Deps) {
  /** The board page: its thread list comes from the cache; head and form are per viewer. */
  async function renderBoard(c: C, page: number, form: FormState, status: 200 | 400 | 403 | 404 | 409 | 413 | 422) {
    const cellSlug = c.req.param('cell')!
    const boardSlug = c.req.param('board')!
    const key = `board:${cellSlug}/${boardSlug}:${page}`
    let part = deps.cache.get<BoardMeta>(key)
    if (!part) {
      const d = await readBoardPage(deps, cellSlug, boardSlug, page)
      const meta: BoardMeta = {
        cell: { slug: d.cell.slug, name: d.cell.name },
        board: { slug: d.board.slug, name: d.board.name, description: d.board.description, visibility: d.board.visibility },
        boardId: d.board.id,
        cellId: d.cell.id,
        page: d.page,
        pages: d.pages,
      }
      const path = `/c/${meta.cell.slug}/${meta.board.slug}`
      part = { meta, bytes: encode(html`${threadList(meta, d.threads)}${pager(path, d.page, d.pages)}`), tags: [`board:${d.board.id}`] }
      deps.cache.set(key, part)
    }
    const m = part.meta
    await assertCanRead(deps, { visibility: m.board.visibility, cell_id: m.cellId }, c.get('session'))
    const place = { site: deps.config.siteId, cell: m.cell.slug, board: m.board.slug, thread: 'new' as const }
    return sendAround(c, deps, status, {
      title: m.board.name,
      before: () => boardHead(m),
      cached: part,
      after: () => newThreadForm(m, place, viewerOf(c, deps), form),
      anonymous: `${key}:anonymous`,
    })
  }

  return new Hono<AppEnv>()
    .get('/c/:cell/:board', async (c) => {
      const page = c.req.query('page') === undefined ? 1 : parseId(c.req.query('page'))
      if (page === null) throw notFound('That page')
      return renderBoard(c, page, emptyForm(), 200)
    })
    .post('/c/:cell/:board', idempotent(deps.submissions), async (c) => {
      const form = c.get('form')
      const input = { cell: c.req.param('cell'), board: c.req.param('board'), title: form.title ?? '', body: form.body ?? '', signed: form.signed, signature: form.signature }
      try {
        const r = await startThread(deps, whoOf(c), input)
        return c.redirect(r.threadPath, 303)
      } catch (e) {
        if (!(e instanceof DomainError) || e.status === 404) throw e
        const state: FormState = refusedForm({ title: input.title, body: input.body, signed: input.signed }, e)
        return renderBoard(c, 1, state, e.status as 400 | 403 | 409 | 413 | 422)
      }
    })
}
