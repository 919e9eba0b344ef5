import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import { tMarked } from './marked.ts'
import type { Preview } from '../../src/services/posts.ts'
import { t } from '../../src/i18n/index.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'

import { signingName } from './post.ts'

/**
 * A post as it would appear, shown inside its form (the page with JavaScript off, the form's
 * preview slot with htmx). Nothing of it is stored. A GnuPG session is shown which box will be
 * posted, and, for plain text, the exact text to clearsign instead.
 */
export function postPreview(p: Preview): Html {
  const who = pseudonymOf(p.fingerprint)
  const how =
    p.signing === 'browser'
      ? t('thread.preview_browser')
      : p.signing === 'gpg-signed'
        ? t('thread.preview_gpg')
        : signingName(p.signing)
  return html`<section class="preview" aria-label="${t('thread.preview')}"><h3>${t('thread.preview_heading')}</h3>
<p class="hint">${t('thread.preview_hint')}</p>
${p.title !== null ? html`<p class="preview-title">${tMarked('thread.preview_title', { title: html`<b>${p.title}</b>` })}</p>` : ''}
<article class="post"><header><b>${who.handle}</b> <code>${who.short}</code> <i class="sig">${how}</i></header>
${trustedPostHtml(p.bodyHtml)}</article>
${p.toSign !== null
  ? html`<p>${tMarked('thread.preview_plain', { attested: html`<i>${t('thread.sig_session_attested')}</i>` })} ${tMarked('thread.preview_to_sign', { run: html`<code>gpg --clearsign FILE</code>`, file: html`<code>FILE.asc</code>` })}</p>
<pre class="to-sign">${p.toSign}</pre>`
  : ''}
</section>`
}

/** The form's preview slot: empty until a preview fills it (htmx swaps its inside). */
export const previewSlot = (id: string, preview?: Html): Html => html`<div id="${id}" class="preview-slot" aria-live="polite">${preview ?? ''}</div>`

/**
 * The second submit button: the same form, sent to the preview address (htmx: into the slot).
 * `anchor`: where the page that comes back opens (JavaScript off), its form's id.
 */
export const previewButton = (action: string, slot: string, anchor?: string): Html =>
  html`<button formaction="${action}${anchor ? `#${anchor}` : ''}" hx-post="${action}" hx-target="#${slot}" hx-swap="innerHTML">${t('thread.preview')}</button>`
