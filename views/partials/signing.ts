import { canonicalPostText } from '../../src/domain/posts.ts'
import { tMarked } from './marked.ts'
import { html, type Html } from '../html.ts'
import type { Viewer } from '../viewer.ts'
import { t } from '../../src/i18n/index.ts'
import { describedBy, fieldError, type FormState } from './forms.ts'

/** Where a post goes: what its canonical text names. */
export type Place = { site: string; cell: string; board: string; thread: number | 'new' }

/**
 * A browser-key session signs in the browser: the form says what the canonical text names, and
 * static/browser-key.js fills the hidden `signature` field before the form is sent.
 */
export function browserSigning(viewer: Viewer, place: Place): { attrs: Html | ''; field: Html | '' } {
  if (viewer.identity?.kind !== 'browser') return { attrs: '', field: '' }
  return {
    attrs: html` data-sign-post data-msg-sign-failed="${t('thread.sign_failed', { error: '{error}' })}" data-site="${place.site}" data-cell="${place.cell}" data-board="${place.board}" data-thread="${place.thread}"`,
    field: html`<input type="hidden" name="signature" value="">
<p class="hint">${t('thread.browser_signing_hint')}</p>`,
  }
}

/**
 * A GnuPG session may paste a clearsigned post instead of plain text: the exact text to sign is
 * shown, with the body left for the person to write.
 */
export function gpgSigning(viewer: Viewer, place: Place, form: FormState): Html | '' {
  if (viewer.identity?.kind !== 'gpg') return ''
  const template = canonicalPostText({ ...place, title: place.thread === 'new' ? t('thread.gpg_your_title') : null, body: t('thread.gpg_your_text') })
  return html`<details class="gpg-sign"${form.values.signed || form.errors.signed ? html` open` : ''}><summary>${t('thread.gpg_summary')}</summary>
<p>${tMarked('thread.gpg_write', { run: html`<code>gpg --clearsign FILE</code>`, file: html`<code>FILE.asc</code>` })}
${tMarked('thread.gpg_exact', { verify: html`<code>gpg --verify</code>` })} ${tMarked('thread.gpg_without', { attested: html`<i>${t('thread.sig_session_attested')}</i>` })}</p>
<pre class="to-sign">${template}</pre>
<label for="signed-${place.thread}">${t('thread.gpg_label')}</label>
<textarea id="signed-${place.thread}" name="signed" rows="8"${describedBy(form, 'signed')}>${form.values.signed ?? ''}</textarea>
${fieldError(form, 'signed')}
</details>`
}
