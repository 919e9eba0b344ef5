import { Hono } from 'hono'
import { DomainError, notFound } from '../domain/errors.ts'
import { findSignedText } from '../db/posts.ts'
import type { Deps } from '../services/deps.ts'
import { replyToThread } from '../services/posts.ts'
import { assertCanRead, findBoardOrThrow, pageOfPost, readThreadPage } from '../services/reading.ts'
import { html } from '../../views/html.ts'
import { threadHead, threadPath, type ThreadHeadProps } from '../../views/pages/thread.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { pager } from '../../views/partials/pager.ts'
import { postArticle } from '../../views/partials/post.ts'
import { replyForm } from '../../views/partials/reply-form.ts'
import type { Place } from '../../views/partials/signing.ts'
import type { AppEnv } from './env.ts'
import { encode, isHtmx, parseId, sendAround, viewerOf, type C } from './render.ts'

type ThreadMeta = ThreadHeadProps & { cellId: number; page: number; pages: number }

const THREAD = '/c/:cell/:board/t/:thread{[0-9]+}'

export function threadRoutes(deps: Deps) {
  /** The cached middle of a thread page (its posts and pager), built from two queries on a miss. */
  async function threadPart(c: C, number: number, page: number) {
    const cellSlug = c.req.param('cell')!
    const boardSlug = c.req.param('board')!
    const key = `thread:${cellSlug}/${boardSlug}/${number}:${page}`
    let part = deps.cache.get<ThreadMeta>(key)
    if (!part) {
      const d = await readThreadPage(deps, cellSlug, boardSlug, number, page)
      const meta: ThreadMeta = {
        cell: { slug: d.cell.slug, name: d.cell.name },
        board: { slug: d.board.slug, name: d.board.name, description: d.board.description, visibility: d.board.visibility },
        cellId: d.cell.id,
        thread: { number: d.thread.number, title: d.thread.title },
        page: d.page,
        pages: d.pages,
      }
      const path = threadPath(meta)
      const posts = d.posts.map((p) => postArticle({ number: p.number, signing: p.signing, bodyHtml: p.body_html, createdAt: p.created_at, fingerprint: p.fingerprint, signed: p.signed }, path))
      // Tagged with row ids (internal), which is what writes invalidate by.
      part = { meta, bytes: encode(html`<div id="posts" hx-boost="false">${posts}</div>${pager(path, d.page, d.pages)}`), tags: [`thread:${d.thread.id}`, `board:${d.board.id}`] }
      deps.cache.set(key, part)
    }
    await assertCanRead(deps, { visibility: part.meta.board.visibility, cell_id: part.meta.cellId }, c.get('session'))
    return part
  }

  async function renderThread(c: C, number: number, page: number | 'last', form: FormState, status: 200 | 400 | 403 | 413 | 422) {
    let part = await threadPart(c, number, page === 'last' ? 1 : page)
    if (page === 'last' && part.meta.pages > 1) part = await threadPart(c, number, part.meta.pages)
    const m = part.meta
    const path = threadPath(m)
    return sendAround(c, deps, status, {
      title: m.thread.title,
      before: () => threadHead(m),
      cached: part,
      after: () => replyForm({ threadPath: path, place: placeOf(c, number), viewer: viewerOf(c, deps), form, inline: m.page === m.pages }),
      anonymous: `${path}:${m.page}:anonymous`,
    })
  }

  const placeOf = (c: C, thread: number): Place => ({ site: deps.config.siteId, cell: c.req.param('cell')!, board: c.req.param('board')!, thread })

  return new Hono<AppEnv>()
    .get(THREAD, async (c) => {
      const number = parseId(c.req.param('thread'))
      const page = c.req.query('page') === undefined ? 1 : parseId(c.req.query('page'))
      if (number === null || page === null) throw notFound('That page')
      return renderThread(c, number, page, emptyForm(), 200)
    })
    .post(THREAD, async (c) => {
      const number = parseId(c.req.param('thread'))
      if (number === null) throw notFound('That thread')
      const form = c.get('form')
      const body = form.body ?? ''
      try {
        const r = await replyToThread(deps, { session: c.get('session'), expired: c.get('sessionExpired') }, { cell: c.req.param('cell'), board: c.req.param('board'), thread: number, body, signed: form.signed, signature: form.signature })
        if (!isHtmx(c)) return c.redirect(`${r.threadPath}?page=${r.page}#p${r.number}`, 303)
        // htmx: the new post to append, and a fresh, empty form swapped in out of band.
        const fresh = replyForm({ threadPath: r.threadPath, place: placeOf(c, number), viewer: viewerOf(c, deps), form: emptyForm(), inline: true, oob: true })
        return c.html(html`${postArticle(r.post, r.threadPath)}${fresh}`)
      } catch (e) {
        if (!(e instanceof DomainError) || e.status === 404) throw e
        const state: FormState = refusedForm({ body, signed: form.signed }, e)
        if (isHtmx(c)) {
          c.header('HX-Retarget', '#reply')
          c.header('HX-Reswap', 'outerHTML')
          const path = `/c/${c.req.param('cell')}/${c.req.param('board')}/t/${number}`
          return c.html(replyForm({ threadPath: path, place: placeOf(c, number), viewer: viewerOf(c, deps), form: state, inline: true }), e.status as 400 | 403 | 422)
        }
        return renderThread(c, number, 'last', state, e.status as 400 | 403 | 413 | 422)
      }
    })
    // A stable address for post N, wherever paging puts it.
    .get(`${THREAD}/p/:n{[0-9]+}`, async (c) => {
      const thread = parseId(c.req.param('thread'))
      const n = parseId(c.req.param('n'))
      if (thread === null || n === null) throw notFound('That post')
      const { board } = await findBoardOrThrow(deps, c.req.param('cell'), c.req.param('board'))
      await assertCanRead(deps, board, c.get('session'))
      const signed = await findSignedText(deps.db, { boardId: board.id, thread, number: n })
      if (!signed) throw notFound('That post')
      return c.redirect(`/c/${c.req.param('cell')}/${c.req.param('board')}/t/${thread}?page=${await pageOfPost(deps, signed.thread_id, n)}#p${n}`, 303)
    })
    // The post's OpenPGP cleartext-signed message, for gpg --verify.
    .get(`${THREAD}/p/:file{[0-9]+\\.asc}`, async (c) => {
      const thread = parseId(c.req.param('thread'))
      const n = parseId(c.req.param('file').slice(0, -4))
      if (thread === null || n === null) throw notFound('That post')
      const { board } = await findBoardOrThrow(deps, c.req.param('cell'), c.req.param('board'))
      await assertCanRead(deps, board, c.get('session'))
      const signed = await findSignedText(deps.db, { boardId: board.id, thread, number: n })
      if (!signed?.signed_text) throw notFound('A signed text for that post')
      return c.body(signed.signed_text, 200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': `attachment; filename="post-${thread}-${n}.asc"`,
      })
    })
}
