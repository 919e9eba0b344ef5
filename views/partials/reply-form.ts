import type { IssuedCost } from '../../src/domain/costs.ts'
import { tMarked } from './marked.ts'
import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import type { Viewer } from '../viewer.ts'
import { costFields } from './cost.ts'
import { browserSigning, gpgSigning, type Place } from './signing.ts'
import { previewButton, previewSlot } from './preview.ts'
import { boundFields, describedBy, fieldError, formMessage, identityNeeded, type FormState } from './forms.ts'

/**
 * The reply form. On the thread's last page htmx posts it in place and appends the new post;
 * `oob` marks the fresh copy sent back with that post so the form is emptied without script.
 * `cost`: while the board is in flood, the check the form must pay (src/services/flood.ts).
 * `preview`: the post as it would appear (views/partials/preview.ts), shown in the form.
 * `page`: the thread's page the form is on, where "take an identity" comes back to.
 */
export function replyForm(p: { threadPath: string; place: Place; viewer: Viewer; form: FormState; inline: boolean; oob?: boolean; cost?: IssuedCost | null; preview?: Html; page?: number }): Html {
  // Not on the thread's last page: no htmx, nor the page's boosting (whose request htmx marks as
  // its own, so the server answered with the post alone, and it took the place of the whole page).
  const hx = p.inline ? html` hx-post="${p.threadPath}" hx-target="#posts" hx-swap="beforeend"` : html` hx-boost="false"`
  if (!p.viewer.identity) {
    return html`<section id="reply"${p.oob ? html` hx-swap-oob="true"` : ''}>${identityNeeded(p.form, p.page && p.page > 1 ? `${p.threadPath}?page=${p.page}` : p.threadPath)}</section>`
  }
  const browser = browserSigning(p.viewer, p.place)
  const gpg = p.viewer.identity.kind === 'gpg'
  // The address ends in #reply: with JavaScript off, a refused reply or a preview comes back as the
  // whole thread page, and opens at the form (its reason, its preview) rather than at the top of a
  // long thread, where nothing said the reply had not gone. A reply posted goes to #pN instead.
  return html`<form id="reply" method="post" action="${p.threadPath}#reply"${hx}${p.oob ? html` hx-swap-oob="true"` : ''}${browser.attrs}>
${boundFields(p.viewer)}${formMessage(p.form)}
${previewSlot('reply-preview', p.preview)}
<label for="reply-body">${tMarked('thread.reply_as', { handle: html`<b>${p.viewer.identity.pseudonym.handle}</b>` })}</label>
<textarea id="reply-body" name="body" rows="6"${gpg ? '' : html` required`}${describedBy(p.form, 'body')}>${p.form.values.body ?? ''}</textarea>
${fieldError(p.form, 'body')}
${markdownHint()}
${browser.field}${gpgSigning(p.viewer, p.place, p.form)}
${costFields(p.cost ?? null, p.form)}
<button>${t('thread.reply_button')}</button> ${previewButton(`${p.threadPath}/preview`, 'reply-preview', 'reply')}
</form>`
}

/** One line under a post's text field: the Markdown a post understands. */
export const markdownHint = (): Html => html`<p class="hint">${t('thread.markdown_hint')}</p>`
