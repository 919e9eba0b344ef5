import { Hono } from 'hono'
import { notFound } from '../domain/errors.ts'
import { t } from '../i18n/index.ts'
import type { Deps } from '../services/deps.ts'
import { cacheKey, cacheTag } from '../services/page-cache.ts'
import { refusal } from '../services/access.ts'
import { floodFor } from '../services/flood.ts'
import { previewThread, startThread } from '../services/posts.ts'
import { asksToBeIndexed, boardAccess, openBoard, readBoardPage } from '../services/reading.ts'
import { html, type Html } from '../../views/html.ts'
import { boardHead, boardPath, newThreadForm, postingClosed, threadList, type BoardHeadProps } from '../../views/pages/board.ts'
import { floodBanner } from '../../views/partials/flood.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { pager } from '../../views/partials/pager.ts'
import { postPreview } from '../../views/partials/preview.ts'
import { boardFeeds } from '../../views/layout.ts'
import type { AppEnv } from './env.ts'
import { idempotent } from './middleware/idempotency.ts'
import { encode, isHtmx, orFormAgain, parseId, sendAround, viewerOf, whoOf, type C, type Status } from './render.ts'

type BoardMeta = BoardHeadProps & { page: number; pages: number }

export function boardRoutes(deps: Deps) {
  /**
   * The board page: its thread list comes from the cache; head and form are per viewer. Who may
   * read the board is settled first, so a refused viewer gets the same answer for any page.
   */
  async function renderBoard(c: C, page: number | null, form: FormState, status: Status, preview?: Html) {
    const at = await openBoard(deps, c.req.param('cell')!, c.req.param('board')!, c.get('session'))
    if (page === null) throw notFound(t('board.page_not_found'))
    const key = cacheKey.boardPage(at.board.id, page)
    // The request's epoch: the part shows the board as openBoard read it, before this line.
    const since = c.get('cacheSince')
    let part = deps.cache.get<BoardMeta>(key)
    if (!part) {
      const d = await readBoardPage(deps, at, page)
      const meta: BoardMeta = {
        cell: { slug: d.cell.slug, name: d.cell.name },
        board: { slug: d.board.slug, name: d.board.name, description: d.board.description, ...boardAccess(d.cell, d.board) },
        page: d.page,
        pages: d.pages,
      }
      part = { meta, bytes: encode(html`${threadList(meta, d.threads, d.first)}${pager(boardPath(meta), d.page, d.pages)}`), tags: [cacheTag.board(d.board.id), cacheTag.listing(d.board.id)] }
      deps.cache.set(key, part, since)
    }
    const m = part.meta
    const place = { site: deps.config.siteId, cell: m.cell.slug, board: m.board.slug, thread: 'new' as const }
    const flood = await floodFor(deps, at, c.get('session'))
    // Why this viewer may not post here (null: it may), said in place of the form as a POST would be refused.
    const closed = await refusal(deps, at.cell.id, at.board.post_tier, 'post', c.get('session'))
    const posting = closed === null
    const threadForm = () => (closed ? postingClosed(closed.message, 'new-thread') : newThreadForm(m, place, viewerOf(c, deps), form, flood.cost, preview))
    // A preview, or a form sent back with its problems, comes first: with JavaScript off it is a
    // whole page, and the reader should not have to scroll past every thread to find it.
    const formFirst = preview !== undefined || status !== 200
    return sendAround(c, deps, status, {
      title: m.board.name,
      feeds: boardFeeds(m.cell, m.board),
      indexable: asksToBeIndexed(at.board),
      before: () => html`${boardHead(m, posting || !c.get('session'))}${floodBanner(flood)}${formFirst ? threadForm() : ''}`,
      cached: part,
      after: () => (formFirst ? html`` : threadForm()),
      // In flood, the banner is built per request and the whole page is not kept: a flood ends by
      // expiring, with no write to drop a kept page, so none can go on showing the banner after it.
      anonymous: flood.inFlood || preview ? undefined : cacheKey.whole(key),
    })
  }

  /** The new-thread form alone, for htmx: refused with the messages beside its fields. */
  async function renderBoardForm(c: C, form: FormState, status: Status) {
    const at = await openBoard(deps, c.req.param('cell')!, c.req.param('board')!, c.get('session'))
    const m: BoardHeadProps = { cell: { slug: at.cell.slug, name: at.cell.name }, board: { slug: at.board.slug, name: at.board.name, description: at.board.description, ...boardAccess(at.cell, at.board) } }
    const place = { site: deps.config.siteId, cell: m.cell.slug, board: m.board.slug, thread: 'new' as const }
    const { cost } = await floodFor(deps, at, c.get('session'))
    return c.html(newThreadForm(m, place, viewerOf(c, deps), form, cost), status)
  }

  return new Hono<AppEnv>()
    .get('/c/:cell/:board', async (c) => {
      const page = c.req.query('page') === undefined ? 1 : parseId(c.req.query('page'))
      return renderBoard(c, page, emptyForm(), 200)
    })
    .post('/c/:cell/:board', idempotent(deps.submissions, { sameTextOnce: true }), async (c) => {
      const form = c.get('form')
      const input = { cell: c.req.param('cell'), board: c.req.param('board'), title: form.title ?? '', body: form.body ?? '', signed: form.signed, signature: form.signature, cost: form }
      return orFormAgain(
        async () => c.redirect((await startThread(deps, whoOf(c), input)).threadPath, 303),
        (e, status) => renderBoard(c, 1, refusedForm({ title: input.title, body: input.body, signed: input.signed }, e), status),
      )
    })
    // The new-thread form's Preview button: the same checks as posting, nothing stored or paid,
    // the form again with its text (htmx: the preview alone, into the form's slot).
    .post('/c/:cell/:board/preview', async (c) => {
      const form = c.get('form')
      const input = { cell: c.req.param('cell'), board: c.req.param('board'), title: form.title ?? '', body: form.body ?? '', signed: form.signed, cost: form }
      const kept = (e: { fields?: Record<string, string>; message?: string }) => refusedForm({ title: input.title, body: input.body, signed: input.signed }, e)
      return orFormAgain(
        async () => {
          const shown = postPreview(await previewThread(deps, whoOf(c), input))
          if (isHtmx(c)) return c.html(shown)
          return renderBoard(c, 1, kept({}), 200, shown)
        },
        async (e, status) => {
          if (!isHtmx(c)) return renderBoard(c, 1, kept(e), status)
          // htmx: the whole form again, with the messages beside its fields.
          c.header('HX-Retarget', '#new-thread')
          c.header('HX-Reswap', 'outerHTML')
          return renderBoardForm(c, kept(e), status)
        },
      )
    })
}
