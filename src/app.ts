import { Hono } from 'hono'
import { languageRoutes } from './http/language.ts'
import { languageContext } from './http/middleware/language.ts'
import { HTTPException } from 'hono/http-exception'
import { DomainError, PastLastPage, PostRemoved } from './domain/errors.ts'
import { t } from './i18n/index.ts'
import { boardRoutes } from './http/boards.ts'
import { cellRoutes } from './http/cells.ts'
import { costRoutes } from './http/costs.ts'
import type { AppEnv } from './http/env.ts'
import { feedRoutes } from './http/feeds.ts'
import { identityRoutes } from './http/identities.ts'
import { keyRoutes } from './http/keys.ts'
import { keyTransitionRoutes } from './http/key-transitions.ts'
import { letterRoutes } from './http/letters.ts'
import { LETTER_BODY_LIMIT_BYTES } from './domain/letters.ts'
import { formBody, postBodyLimit } from './http/middleware/form-body.ts'
import { formTokenCheck } from './http/middleware/form-token.ts'
import { gzipPages } from './http/middleware/gzip-pages.ts'
import { securityHeaders } from './http/middleware/security-headers.ts'
import { viewerContext } from './http/middleware/viewer-context.ts'
import { dropOwnPagesOnEnd, wholePageCache } from './http/middleware/whole-page-cache.ts'
import { privacyRoutes } from './http/privacy.ts'
import { questionRoutes } from './http/questions.ts'
import { robotsRoutes } from './http/robots.ts'
import { searchRoutes } from './http/search.ts'
import { formPageOf, isHtmx, localPath, sendPage, viewerOf, type C } from './http/render.ts'
import { staticRoutes } from './http/static.ts'
import { threadRoutes } from './http/threads.ts'
import type { Deps } from './services/deps.ts'
import { forgetKeysOfEndedSessions } from './services/identities.ts'
import { errorMain, errorTitle } from '../views/pages/error.ts'
import { formError, refusedForm } from '../views/partials/forms.ts'

// Every route, by area (tests/http/routes.test.ts keeps this table true):
//   GET  /favicon.ico                            none (204), so no error page is spent on it  http/static.ts
//   GET  /robots.txt                             crawlers kept out but of the boards that ask to be indexed  http/robots.ts
//   GET  /static/:name                           style.css, htmx, our modules bundled (app.js), openpgp.js (our origin only)
//   GET  /cost/:file                             ID.png: a captcha's picture (404 once used or expired)  http/costs.ts
//   GET  /                                       cells                                 http/cells.ts
//   GET  /c/:cell                                the cell's line and boards
//   GET  /c/:cell/key.asc                        the cell key, to which letters are encrypted (404: none)  http/letters.ts
//   GET  /c/:cell/letters/new                    write a letter (no identity; costs as one)
//   POST /c/:cell/letters                        send it: ciphertext only is kept; the page gives its reference
//   GET  /c/:cell/letters                        the inbox: how many wait (inbox readers only; others: as no board)
//   GET  /c/:cell/letters/inbox.asc              every waiting letter, armored, in one file (the same)
//   POST /c/:cell/letters/handled                forget letters by reference, then purge (the same)
//   GET  /c/:cell/key-transitions                earlier cell keys, each with the statement naming the next  http/key-transitions.ts
//   GET  /c/:cell/key-transitions/:n/key.asc     transition N's old key, for gpg --import
//   GET  /c/:cell/key-transitions/:n/statement.asc  its statement, clearsigned by that key, for gpg --verify
//   GET  /search                                 ?q=&page=: posts and titles on every board the reader may read  http/search.ts
//   GET  /c/:cell/search                         the same, in one cell
//   GET  /c/:cell/:board                         threads by last activity              http/boards.ts
//   POST /c/:cell/:board                         start a thread
//   POST /c/:cell/:board/preview                 the new thread as it would appear; nothing stored (htmx: the preview alone)
//   GET  /c/:cell/:board/t/:thread               posts, oldest first                   http/threads.ts
//   POST /c/:cell/:board/t/:thread               reply (htmx: the new post as a fragment)
//   POST /c/:cell/:board/t/:thread/preview       the reply as it would appear; nothing stored (htmx: the preview alone)
//   GET  /c/:cell/:board/t/:thread/p/:n          → the page that shows post N
//   GET  /c/:cell/:board/t/:thread/p/:file       N.asc: the post's signed text
//   ALL  /c/:cell/:board/*                       anything else under a board: refused like the board, or 404
//   GET  /k/:file                                FINGERPRINT.asc: a public key that signed published content  http/keys.ts
//   GET  /identity                               take, show or burn an identity        http/identities.ts
//   GET  /identity/challenge                     a login challenge alone, for a browser key to sign
//   GET  /identity/own-posts.css                 marks this session's own posts "(you)": no-store, empty with no session or to another site
//   POST /identity/disposable                    make a disposable key pair (session only)
//   POST /identity/login                         log in with a clearsigned challenge (GnuPG or a browser key)
//   POST /identity/revoke                        revoke a key with its revocation certificate
//   POST /identity/private-key.asc               the disposable private key, once
//   GET  /identity/private-key.asc               405: only the POST hands it out (a HEAD or prefetch uses nothing)
//   GET  /identity/public-key.asc                the session's public key
//   POST /identity/burn                          end the session, forget the key
//   GET  /c/:cell/line                           the line and its earlier versions     http/questions.ts
//   GET  /c/:cell/questions                      the voters' queue of open questions
//   GET  /c/:cell/questions/new                  raise a line question (?kind=…)
//   POST /c/:cell/questions
//   GET  /c/:cell/questions/:question            a question, or its published decision and ballots
//   POST /c/:cell/questions/:question/ballot     cast (or replace) a signed ballot
//   GET  /c/:cell/questions/:question/bundle.json  ballots, voter keys and roster, for verify-tally
//   GET  /c/:cell/decisions                      the decision log, newest first
//   GET  /c/:cell/decisions/feed.atom            its decisions as an Atom feed          http/feeds.ts
//   GET  /c/:cell/decisions/answers.atom         the answers to letters it published, as an Atom feed
//   GET  /c/:cell/:board/feed.atom               the board's new threads and posts, as an Atom feed (refused like the board)
//   GET  /questions                              a voter's open questions in every cell
//   GET  /privacy                                generated from the data-class registry  http/privacy.ts
//   GET  /lang                                   ?to=CODE&next=PATH: the reader's language (a cookie a burn drops), then back  http/language.ts
// :thread is the thread's number on its board, :question the question's number in its cell: row
// ids count every board's threads and every cell's questions, so no address carries one.
export function createApp(deps: Deps) {
  forgetKeysOfEndedSessions(deps)
  dropOwnPagesOnEnd(deps)
  const app = new Hono<AppEnv>()
  app.use(wholePageCache(deps))
  app.use(gzipPages(deps.config))
  app.use(languageContext(deps))
  app.use(securityHeaders)
  // A boosted form answered with a page (a preview, a refusal, "letter sent") rather than a
  // redirect: htmx put the form's POST-only address in the address bar, and a reload there was a
  // 404 with the text gone (a new user's walkthrough). The address stays that of the form's page.
  app.use(async (c, next) => {
    await next()
    if (c.req.method === 'POST' && c.req.header('HX-Boosted') === 'true' && !(c.res.status >= 300 && c.res.status < 400) && !c.res.headers.has('HX-Push-Url')) c.res.headers.set('HX-Push-Url', 'false')
  })
  app.route('/', staticRoutes())
  app.route('/', costRoutes(deps))
  app.route('/', robotsRoutes(deps))
  app.use(viewerContext(deps))
  // A letter is larger than any other form (src/domain/letters.ts says why); every other POST keeps the limit.
  app.use(postBodyLimit(deps.config.bodyLimitBytes, { path: /^\/c\/[^/]+\/letters$/, maxBytes: Math.max(LETTER_BODY_LIMIT_BYTES, deps.config.bodyLimitBytes) }))
  app.use(formBody)
  app.use(formTokenCheck(deps))

  app.route('/', cellRoutes(deps))
  // Before the boards too: /c/:cell/letters, /key.asc and /key-transitions are not board names.
  app.route('/', letterRoutes(deps))
  app.route('/', keyTransitionRoutes(deps))
  // Before the boards: /c/:cell/questions, /line, /decisions and /search are not board names.
  app.route('/', questionRoutes(deps))
  app.route('/', feedRoutes(deps))
  app.route('/', searchRoutes(deps))
  app.route('/', boardRoutes(deps))
  app.route('/', threadRoutes(deps))
  app.route('/', identityRoutes(deps))
  app.route('/', keyRoutes(deps))
  app.route('/', privacyRoutes(deps))
  app.route('/', languageRoutes(deps))

  app.notFound((c) => renderError(c as C, deps, new DomainError(404, t('app.nothing_here'))))
  app.onError((err, c) => renderError(c as C, deps, err))
  return app
}

// Only text fields a person wrote come back on an error page; never tokens or keys.
const KEPT_FIELDS = ['title', 'body', 'signed', 'text', 'argument'] as const

/** A board's and a thread's preview (http/boards.ts, http/threads.ts). */
const PREVIEW_PATH = /^\/c\/[^/]+\/[^/]+(?:\/t\/[^/]+)?\/preview$/

function renderError(c: C, deps: Deps, err: Error) {
  let status: 400 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503 = 500
  let message = t('app.internal')
  if (err instanceof DomainError) {
    status = err.status === 401 ? 403 : err.status
    message = err.message
  } else if (err instanceof HTTPException && err.status >= 400 && err.status < 500) {
    status = err.status === 413 ? 413 : 400
    message = t('app.unreadable')
  } else {
    // A bug. Logged without the request: no address, no headers, no user text.
    console.error(t('app.log_internal_error', { stack: err.stack ?? err.name }))
  }
  // The viewer middleware may not have run (an error before it): fall back to no identity.
  if (c.get('csrfCookie') === undefined) {
    c.set('session', null)
    c.set('csrfCookie', null)
  }
  const form = c.get('form') ?? {}
  const { values } = refusedForm(Object.fromEntries(KEPT_FIELDS.map((k) => [k, form[k]])), {})
  const fields = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ''))
  const action = c.req.method === 'POST' ? localPath(c.req.path) : null
  // A form comes back to be sent again only when this request carried a good form token; any
  // other (a forgery from another site among them) shows its text read-only, with a link to the
  // empty form: one click on this page must never send a forger's text as this browser's identity.
  const kept = c.req.method !== 'POST'
    ? null
    : action && c.get('formTokenOk')
      ? { resend: { action, viewer: viewerOf(c, deps) }, formPage: formPageOf(c.req.path, form), fields }
      : { resend: null, formPage: formPageOf(c.req.path, form), fields }
  if (isHtmx(c) && status === 413 && c.req.method === 'POST') {
    // The form stays as it is, text and all; the reason goes in its message slot (formMessage),
    // or for a preview where the preview goes: its button sends the form (hx-post on the button,
    // views/partials/preview.ts), and a slot looked for inside the button was found nowhere.
    // (Its two routes exactly: a board may be named "preview", and starting a thread there posts to /c/CELL/preview.)
    if (!PREVIEW_PATH.test(c.req.path)) c.header('HX-Retarget', 'find .form-problem')
    c.header('HX-Reswap', 'innerHTML')
    // A boosted form would otherwise put its action in the address bar, and a reload there
    // would lose the text the page still holds.
    c.header('HX-Push-Url', 'false')
    return c.html(formError(message).toString(), 413)
  }
  if (isHtmx(c)) {
    // An htmx request aimed at part of a page: show the error as the whole page instead.
    c.header('HX-Retarget', 'body')
    c.header('HX-Reswap', 'innerHTML')
  }
  const way = c.req.method === 'GET' ? wayOut(err, c.req.path) : null
  return sendPage(c, deps, status, errorTitle(status), errorMain({ status, message, kept, way }))
}

/**
 * Where a refused address leads instead (the path is the request's own, as routed): a page past
 * the last, to the last one; a removed post, back to its thread (its address less /p/N or .asc).
 */
function wayOut(err: Error, path: string): { href: string; label: string } | null {
  if (err instanceof PastLastPage) {
    const here = localPath(path)
    return here === null ? null : { href: `${here}?page=${err.lastPage}`, label: t('board.last_page', { page: err.lastPage }) }
  }
  if (err instanceof PostRemoved) {
    const thread = localPath(path.replace(/\/p\/[^/]+$/, ''))
    return thread === null ? null : { href: thread, label: t('thread.go_to_thread') }
  }
  // Refused a board (or anything under a cell) for its tier: the cell's page, which lists its boards
  // with who reads each, its tiers and its line questions (the way a key is moved), rather than
  // only the list of cells.
  const cell = /^\/c\/([a-z0-9-]+)\/./.exec(path)?.[1]
  if (err instanceof DomainError && err.status === 403 && cell) return { href: `/c/${cell}`, label: t('app.to_cell_page') }
  return null
}
