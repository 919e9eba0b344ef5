import type { IssuedCost } from '../../src/domain/costs.ts'
import { tMarked } from '../partials/marked.ts'
import { t, when } from '../../src/i18n/index.ts'
import { feedPaths } from '../../src/domain/feeds.ts'
import { EXCERPT_CHARS, excerptOf } from '../../src/domain/posts.ts'
import { textOfRendered } from '../../src/domain/markdown.ts'
import { html, type Html } from '../html.ts'
import { boundFields, describedBy, fieldError, formMessage, identityNeeded, type FormState } from '../partials/forms.ts'
import { costFields } from '../partials/cost.ts'
import { browserSigning, gpgSigning, type Place } from '../partials/signing.ts'
import { previewButton, previewSlot } from '../partials/preview.ts'
import { markdownHint } from '../partials/reply-form.ts'
import type { Viewer } from '../viewer.ts'

export type BoardHeadProps = {
  cell: { slug: string; name: string }
  /** Who reads and who posts, as the page says it ("member and up"); null: anyone. */
  board: { slug: string; name: string; description: string; readers: string | null; posters: string | null }
}
/**
 * `opening`: the start of the opening post's stored HTML (null once it is removed); `openingCut`:
 * the HTML goes on past it.
 */
export type ThreadRow = { number: number; title: string; post_count: number; last_post_at: string; opening: string | null; openingCut: boolean }

export const boardPath = (p: BoardHeadProps) => `/c/${p.cell.slug}/${p.board.slug}`

/** `toForm`: link to the form to start a thread, at the page's foot (the served page has one; an archive none). */
export function boardHead(p: BoardHeadProps, toForm = false): Html {
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> /</nav>
<h1>${p.board.name}${readersTag(p.board.readers)}</h1>
${p.board.description ? html`<p>${p.board.description}</p>` : ''}
<p class="feeds">${toForm ? html`<a href="#new-thread">${t('board.start_thread')}</a> · ` : ''}<a href="${feedPaths.board(p.cell.slug, p.board.slug)}" type="application/atom+xml" hx-boost="false">${t('board.follow_feed')}</a>${p.board.readers === null ? '' : html` <small>${t('board.feed_members')}</small>`}</p>
${p.board.posters !== p.board.readers && p.board.posters !== null ? html`<p class="hint">${t('board.posting_for', { posters: p.board.posters })}</p>` : ''}`
}

/** A board read from a tier up says so beside its name (on the cell page too). */
export const readersTag = (readers: string | null): Html => (readers === null ? html`` : html` <span class="tag">${t('board.for_readers', { readers })}</span>`)

/**
 * In place of the form to start a thread or reply, for a reader who may not post on the board: why,
 * as sending the form would be told (services/access.ts: no session, a key below the post tier or
 * off the roster, a key expired).
 */
export const postingClosed = (why: string, id: string): Html => html`<section id="${id}"><p class="hint">${why}</p></section>`

/**
 * The list of threads: the same for every viewer, so it is cached as bytes. `first`: the number of
 * the page's first thread, so numbering goes on across pages.
 */
export function threadList(p: BoardHeadProps, threads: ThreadRow[], first = 1): Html {
  if (threads.length === 0) return html`<p id="threads">${t('board.no_threads')}</p>`
  const base = boardPath(p)
  return html`<ol id="threads" class="threads" start="${first}">${threads.map(
    (th) =>
      html`<li><a href="${base}/t/${th.number}">${th.title}</a> <small>${t('board.thread_meta', { count: th.post_count, last: when(th.last_post_at) })}</small>${
        th.opening === null ? '' : html`<p class="excerpt">${excerptOf(textOfRendered(th.opening), EXCERPT_CHARS, th.openingCut)}</p>`
      }</li>`,
  )}</ol>`
}

/** `cost`: while the board is in flood, the check the form must pay (src/services/flood.ts); `preview`: the post as it would appear. */
export function newThreadForm(p: BoardHeadProps, place: Place, viewer: Viewer, form: FormState, cost: IssuedCost | null = null, preview?: Html): Html {
  if (!viewer.identity) return html`<section id="new-thread"><h2>${t('board.start_thread')}</h2>${identityNeeded(form, boardPath(p))}</section>`
  const browser = browserSigning(viewer, place)
  const gpg = viewer.identity.kind === 'gpg'
  return html`<section id="new-thread"><h2>${t('board.start_thread')}</h2>
<form method="post" action="${boardPath(p)}"${browser.attrs}>
${boundFields(viewer)}${formMessage(form)}
${previewSlot('new-thread-preview', preview)}
<label for="title">${t('board.title_label')}</label>
<input id="title" name="title" value="${form.values.title ?? ''}"${gpg ? '' : html` required`}${describedBy(form, 'title')}>
${fieldError(form, 'title')}
<label for="body">${tMarked('board.text_as', { handle: html`<b>${viewer.identity.pseudonym.handle}</b>` })}</label>
<textarea id="body" name="body" rows="8"${gpg ? '' : html` required`}${describedBy(form, 'body')}>${form.values.body ?? ''}</textarea>
${fieldError(form, 'body')}
${markdownHint()}
${browser.field}${gpgSigning(viewer, place, form)}
${costFields(cost, form)}
<button>${t('board.start_button')}</button> ${previewButton(`${boardPath(p)}/preview`, 'new-thread-preview')}
</form></section>`
}
