import { Hono } from 'hono'
import { DomainError, notFound } from '../domain/errors.ts'
import { findSignedText } from '../db/posts.ts'
import type { Deps } from '../services/deps.ts'
import { replyToThread } from '../services/posts.ts'
import { assertCanRead, findBoardOrThrow, pageOfPost, readThreadPage } from '../services/reading.ts'
import { html } from '../../views/html.ts'
import type { BoardHeadProps } from '../../views/pages/board.ts'
import { threadHead } from '../../views/pages/thread.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { pager } from '../../views/partials/pager.ts'
import { postArticle } from '../../views/partials/post.ts'
import { replyForm } from '../../views/partials/reply-form.ts'
import type { Place } from '../../views/partials/signing.ts'
import type { AppEnv } from './env.ts'
import { idempotent } from './middleware/idempotency.ts'
import { encode, isHtmx, parseId, sendAround, viewerOf, whoOf, type C } from './render.ts'

type ThreadMeta = BoardHeadProps & { cellId: number; thread: { id: number; title: string }; page: number; pages: number }

const THREAD = '/c/:cell/:board/t/:thread{[0-9]+}'

export function threadRoutes(deps: Deps) {
  /** The cached middle of a thread page (its posts and pager), built from two queries on a miss. */
  async function threadPart(c: C, threadId: number, page: number) {
    const cellSlug = c.req.param('cell')!
    const boardSlug = c.req.param('board')!
    const key = `thread:${threadId}:${page}`
    let part = deps.cache.get<ThreadMeta>(key)
    if (!part) {
      const d = await readThreadPage(deps, cellSlug, boardSlug, threadId, page)
      const meta: ThreadMeta = {
        cell: { slug: d.cell.slug, name: d.cell.name },
        board: { slug: d.board.slug, name: d.board.name, description: d.board.description, visibility: d.board.visibility },
        cellId: d.cell.id,
        thread: { id: d.thread.id, title: d.thread.title },
        page: d.page,
        pages: d.pages,
      }
      const path = `/c/${meta.cell.slug}/${meta.board.slug}/t/${threadId}`
      const posts = d.posts.map((p) => postArticle({ number: p.number, signing: p.signing, bodyHtml: p.body_html, createdAt: p.created_at, fingerprint: p.fingerprint, signed: p.signed }, path))
      part = { meta, bytes: encode(html`<div id="posts" hx-boost="false">${posts}</div>${pager(path, d.page, d.pages)}`), tags: [`thread:${threadId}`, `board:${d.board.id}`] }
      deps.cache.set(key, part)
    }
    const m = part.meta
    // The cache is keyed by thread id alone: the address must name the thread's own cell and board.
    if (m.cell.slug !== cellSlug || m.board.slug !== boardSlug) throw notFound('That thread')
    await assertCanRead(deps, { visibility: m.board.visibility, cell_id: m.cellId }, c.get('session'))
    return part
  }

  async function renderThread(c: C, threadId: number, page: number | 'last', form: FormState, status: 200 | 400 | 403 | 409 | 413 | 422) {
    let part = await threadPart(c, threadId, page === 'last' ? 1 : page)
    if (page === 'last' && part.meta.pages > 1) part = await threadPart(c, threadId, part.meta.pages)
    const m = part.meta
    const path = `/c/${m.cell.slug}/${m.board.slug}/t/${threadId}`
    return sendAround(c, deps, status, {
      title: m.thread.title,
      before: () => threadHead(m),
      cached: part,
      after: () => replyForm({ threadPath: path, place: placeOf(c, threadId), viewer: viewerOf(c, deps), form, inline: m.page === m.pages }),
      anonymous: `thread:${threadId}:${m.page}:anonymous`,
    })
  }

  const placeOf = (c: C, thread: number): Place => ({ site: deps.config.siteId, cell: c.req.param('cell')!, board: c.req.param('board')!, thread })

  return new Hono<AppEnv>()
    .get(THREAD, async (c) => {
      const threadId = parseId(c.req.param('thread'))
      const page = c.req.query('page') === undefined ? 1 : parseId(c.req.query('page'))
      if (threadId === null || page === null) throw notFound('That page')
      return renderThread(c, threadId, page, emptyForm(), 200)
    })
    .post(THREAD, idempotent(deps.submissions), async (c) => {
      const threadId = parseId(c.req.param('thread'))
      if (threadId === null) throw notFound('That thread')
      const form = c.get('form')
      const body = form.body ?? ''
      try {
        const r = await replyToThread(deps, whoOf(c), { cell: c.req.param('cell'), board: c.req.param('board'), threadId, body, signed: form.signed, signature: form.signature })
        if (!isHtmx(c)) return c.redirect(`${r.threadPath}?page=${r.page}#p${r.number}`, 303)
        // htmx: the new post to append, and a fresh, empty form swapped in out of band.
        const fresh = replyForm({ threadPath: r.threadPath, place: placeOf(c, threadId), viewer: viewerOf(c, deps), form: emptyForm(), inline: true, oob: true })
        return c.html(html`${postArticle(r.post, r.threadPath)}${fresh}`)
      } catch (e) {
        if (!(e instanceof DomainError) || e.status === 404) throw e
        const state: FormState = refusedForm({ body, signed: form.signed }, e)
        if (isHtmx(c)) {
          c.header('HX-Retarget', '#reply')
          c.header('HX-Reswap', 'outerHTML')
          const path = `/c/${c.req.param('cell')}/${c.req.param('board')}/t/${threadId}`
          return c.html(replyForm({ threadPath: path, place: placeOf(c, threadId), viewer: viewerOf(c, deps), form: state, inline: true }), e.status as 400 | 403 | 409 | 422)
        }
        return renderThread(c, threadId, 'last', state, e.status as 400 | 403 | 409 | 413 | 422)
      }
    })
    // A stable address for post N, wherever paging puts it.
    .get(`${THREAD}/p/:n{[0-9]+}`, async (c) => {
      const threadId = parseId(c.req.param('thread'))
      const n = parseId(c.req.param('n'))
      if (threadId === null || n === null) throw notFound('That post')
      const { board } = await findBoardOrThrow(deps, c.req.param('cell'), c.req.param('board'))
      await assertCanRead(deps, board, c.get('session'))
      const signed = await findSignedText(deps.db, board.id, threadId, n)
      if (!signed) throw notFound('That post')
      return c.redirect(`/c/${c.req.param('cell')}/${c.req.param('board')}/t/${threadId}?page=${await pageOfPost(deps, threadId, n)}#p${n}`, 303)
    })
    // The post's OpenPGP cleartext-signed message, for gpg --verify.
    .get(`${THREAD}/p/:file{[0-9]+\\.asc}`, async (c) => {
      const threadId = parseId(c.req.param('thread'))
      const n = parseId(c.req.param('file').slice(0, -4))
      if (threadId === null || n === null) throw notFound('That post')
      const { board } = await findBoardOrThrow(deps, c.req.param('cell'), c.req.param('board'))
      await assertCanRead(deps, board, c.get('session'))
      const signed = await findSignedText(deps.db, board.id, threadId, n)
      if (!signed?.signed_text) throw notFound('A signed text for that post')
      return c.body(signed.signed_text, 200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': `attachment; filename="post-${threadId}-${n}.asc"`,
      })
    })
}
