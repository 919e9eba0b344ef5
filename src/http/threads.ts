import { Hono } from 'hono'
import { notFound } from '../domain/errors.ts'
import { t } from '../i18n/index.ts'
import type { Deps } from '../services/deps.ts'
import { cacheKey, cacheTag } from '../services/page-cache.ts'
import { refusal } from '../services/access.ts'
import { floodFor } from '../services/flood.ts'
import { previewReply, replyToThread } from '../services/posts.ts'
import { asksToBeIndexed, boardAccess, findPostPage, openBoard, readSignedText, readThreadPage, type ReadableBoard } from '../services/reading.ts'
import { html, type Html } from '../../views/html.ts'
import { threadHead, threadPath, type ThreadHeadProps } from '../../views/pages/thread.ts'
import { postingClosed } from '../../views/pages/board.ts'
import { floodBanner } from '../../views/partials/flood.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { pager } from '../../views/partials/pager.ts'
import { postArticle, postsWithGaps } from '../../views/partials/post.ts'
import { postPreview } from '../../views/partials/preview.ts'
import { replyForm } from '../../views/partials/reply-form.ts'
import type { Place } from '../../views/partials/signing.ts'
import type { AppEnv } from './env.ts'
import { idempotent } from './middleware/idempotency.ts'
import { encode, isHtmx, orFormAgain, parseId, sendAround, viewerOf, whoOf, type C, type Status } from './render.ts'

type ThreadMeta = ThreadHeadProps & { page: number; pages: number }

const THREAD = '/c/:cell/:board/t/:thread{[0-9]+}'

/** The raise form for a question about a post of this thread (postArticle adds the post's number). */
const raiseAbout = (cell: string, board: string, thread: number) => `/c/${cell}/questions/new?kind=remove_post&board=${board}&thread=${thread}`

export function threadRoutes(deps: Deps) {
  // Every address under a board first settles whether this viewer may read it (openBoard), and
  // only then looks at threads, pages or posts, or even at whether the address is well formed:
  // a refused viewer gets one and the same answer everywhere under a members' board.
  const open = (c: C) => openBoard(deps, c.req.param('cell')!, c.req.param('board')!, c.get('session'))

  /**
   * The cached middle of a thread page (its posts and pager), built from one statement on a miss.
   * `since`: the cache's epoch when the request began, before `at` (the board it shows) was read.
   */
  async function threadPart(at: ReadableBoard, number: number, page: number, since: number) {
    const key = cacheKey.threadPage(at.board.id, number, page)
    let part = deps.cache.get<ThreadMeta>(key)
    if (!part) {
      const d = await readThreadPage(deps, at, number, page)
      const meta: ThreadMeta = {
        cell: { slug: d.cell.slug, name: d.cell.name },
        board: { slug: d.board.slug, name: d.board.name, description: d.board.description, ...boardAccess(d.cell, d.board) },
        thread: { number: d.thread.number, title: d.thread.title },
        page: d.page,
        pages: d.pages,
      }
      const path = threadPath(meta)
      // Every post links to the raise form with its place filled in (shown to every reader, as the
      // one link per thread was: the form itself says who may raise what).
      const links = { raise: raiseAbout(d.cell.slug, d.board.slug, d.thread.number), lastOnPage: d.posts.at(-1)?.number }
      // Removed posts are said where they were, between this page's posts, before its first (after
      // the page before's last) and after the last page's last: a gap otherwise looks like a fault.
      const posts = postsWithGaps(d.posts, d.before, (p) => postArticle({ number: p.number, signing: p.signing, bodyHtml: p.body_html, createdAt: p.created_at, fingerprint: p.fingerprint, signed: p.signed, replies: p.replies }, path, links), d.page === d.pages ? d.thread.last_number : undefined)
      // Tagged with row ids (internal): writes invalidate by them.
      part = { meta, bytes: encode(html`<div id="posts" hx-boost="false">${posts}</div>${pager(path, d.page, d.pages)}`), tags: [cacheTag.thread(d.thread.id), cacheTag.board(d.board.id)] }
      deps.cache.set(key, part, since)
    }
    return part
  }

  async function renderThread(c: C, number: number | null, page: number | 'last' | null, form: FormState, status: Status, preview?: Html) {
    const at = await open(c)
    if (number === null || page === null) throw notFound(t('board.page_not_found'))
    const since = c.get('cacheSince')
    let part = await threadPart(at, number, page === 'last' ? 1 : page, since)
    if (page === 'last' && part.meta.pages > 1) part = await threadPart(at, number, part.meta.pages, since)
    const m = part.meta
    const path = threadPath(m)
    const flood = await floodFor(deps, at, c.get('session'))
    // Why this viewer may not post here (null: it may), said in place of the form as a POST would be refused.
    const closed = await refusal(deps, at.cell.id, at.board.post_tier, 'post', c.get('session'))
    const posting = closed === null
    return sendAround(c, deps, status, {
      title: m.thread.title,
      indexable: asksToBeIndexed(at.board),
      before: () => html`${threadHead(m)}${floodBanner(flood)}`,
      cached: part,
      after: () => closed ? postingClosed(closed.message, 'reply') : replyForm({ threadPath: path, place: placeOf(c, number), viewer: viewerOf(c, deps), form, inline: m.page === m.pages, cost: flood.cost, preview, page: m.page }),
      // As for a board page: in flood, not kept whole (the flood ends with no write to drop it).
      anonymous: flood.inFlood || preview ? undefined : cacheKey.whole(cacheKey.threadPage(at.board.id, number, m.page)),
    })
  }

  /** The thread number of a form's address; a number that is none is a 404, after the board's check. */
  async function threadNumberOf(c: C): Promise<number> {
    const number = parseId(c.req.param('thread'))
    if (number === null) {
      await open(c)
      throw notFound(t('thread.thread_not_found'))
    }
    return number
  }

  const placeOf = (c: C, thread: number): Place => ({ site: deps.config.siteId, cell: c.req.param('cell')!, board: c.req.param('board')!, thread })

  /** The thread and post numbers of an address, after the access check. */
  async function postAddress(c: C, n: string | undefined) {
    const at = await open(c)
    const thread = parseId(c.req.param('thread'))
    const number = parseId(n)
    if (thread === null || number === null) throw notFound(t('thread.post_not_found'))
    return { at, thread, number }
  }

  return new Hono<AppEnv>()
    .get(THREAD, async (c) => {
      const page = c.req.query('page') === undefined ? 1 : parseId(c.req.query('page'))
      return renderThread(c, parseId(c.req.param('thread')), page, emptyForm(), 200)
    })
    .post(THREAD, idempotent(deps.submissions, { sameTextOnce: true }), async (c) => {
      const number = await threadNumberOf(c)
      const form = c.get('form')
      const body = form.body ?? ''
      return orFormAgain(
        async () => {
          const r = await replyToThread(deps, whoOf(c), { cell: c.req.param('cell'), board: c.req.param('board'), thread: number, body, signed: form.signed, signature: form.signature, cost: form })
          if (!isHtmx(c)) return c.redirect(`${r.threadPath}?page=${r.page}#p${r.number}`, 303)
          // htmx: the new post to append, and a fresh, empty form swapped in out of band (with a
          // new check if the board is in flood, perhaps since this very post).
          const { cost } = await floodFor(deps, await open(c), c.get('session'))
          const fresh = replyForm({ threadPath: r.threadPath, place: placeOf(c, number), viewer: viewerOf(c, deps), form: emptyForm(), inline: true, oob: true, cost })
          return c.html(html`${postArticle(r.post, r.threadPath, { raise: raiseAbout(c.req.param('cell')!, c.req.param('board')!, number) })}${fresh}`)
        },
        async (e, status) => {
          const state: FormState = refusedForm({ body, signed: form.signed }, e)
          if (!isHtmx(c)) return renderThread(c, number, 'last', state, status)
          // A fresh check with the form if the board is in flood: the one sent, if any, is spent.
          const { cost } = await floodFor(deps, await open(c), c.get('session'))
          c.header('HX-Retarget', '#reply')
          c.header('HX-Reswap', 'outerHTML')
          const path = `/c/${c.req.param('cell')}/${c.req.param('board')}/t/${number}`
          return c.html(replyForm({ threadPath: path, place: placeOf(c, number), viewer: viewerOf(c, deps), form: state, inline: true, cost }), status)
        },
      )
    })
    // The reply form's Preview button: the same checks as posting, nothing stored or paid, the
    // thread's last page with the form again (htmx: the preview alone, into the form's slot).
    .post(`${THREAD}/preview`, async (c) => {
      const number = await threadNumberOf(c)
      const form = c.get('form')
      const body = form.body ?? ''
      const kept = (e: { fields?: Record<string, string>; message?: string }) => refusedForm({ body, signed: form.signed }, e)
      return orFormAgain(
        async () => {
          const shown = postPreview(await previewReply(deps, whoOf(c), { cell: c.req.param('cell'), board: c.req.param('board'), thread: number, body, signed: form.signed, cost: form }))
          if (isHtmx(c)) return c.html(shown)
          return renderThread(c, number, 'last', kept({}), 200, shown)
        },
        async (e, status) => {
          if (!isHtmx(c)) return renderThread(c, number, 'last', kept(e), status)
          const { cost } = await floodFor(deps, await open(c), c.get('session'))
          c.header('HX-Retarget', '#reply')
          c.header('HX-Reswap', 'outerHTML')
          const path = `/c/${c.req.param('cell')}/${c.req.param('board')}/t/${number}`
          return c.html(replyForm({ threadPath: path, place: placeOf(c, number), viewer: viewerOf(c, deps), form: kept(e), inline: true, cost }), status)
        },
      )
    })
    // A stable address for post N, wherever paging puts it.
    .get(`${THREAD}/p/:n{[0-9]+}`, async (c) => {
      const { at, thread, number } = await postAddress(c, c.req.param('n'))
      const page = await findPostPage(deps, at, thread, number)
      return c.redirect(`/c/${at.cell.slug}/${at.board.slug}/t/${thread}?page=${page}#p${number}`, 303)
    })
    // The post's OpenPGP cleartext-signed message, for gpg --verify.
    .get(`${THREAD}/p/:file{[0-9]+\\.asc}`, async (c) => {
      const { at, thread, number } = await postAddress(c, c.req.param('file').slice(0, -4))
      return c.body(await readSignedText(deps, at, thread, number), 200, {
        'Content-Type': 'text/plain; charset=utf-8',
        // Named by its whole place, so posts saved from two boards or cells are two files.
        'Content-Disposition': `attachment; filename="${at.cell.slug}-${at.board.slug}-t${thread}-p${number}.asc"`,
      })
    })
    // Any other address under a board: refused like the rest of it, or else nothing there.
    .all('/c/:cell/:board/*', async (c) => {
      await open(c)
      throw notFound(t('board.page_not_found'))
    })
}
