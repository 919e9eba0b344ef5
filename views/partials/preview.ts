import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import type { Preview } from '../../src/services/posts.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'

/**
 * A post as it would appear, shown inside its form (the page with JavaScript off, the form's
 * preview slot with htmx). Nothing of it is stored. A GnuPG session is shown which box will be
 * posted, and, for plain text, the exact text to clearsign instead.
 */
export function postPreview(p: Preview): Html {
  const who = pseudonymOf(p.fingerprint)
  const how =
    p.signing === 'browser'
      ? 'signed in this browser when you post (without JavaScript: session-attested)'
      : p.signing === 'gpg-signed'
        ? 'gpg-signed: the clearsigned box is what will be posted, exactly as signed'
        : p.signing
  return html`<section class="preview" aria-label="Preview"><h3>Preview, not posted yet</h3>
<p class="hint">Nothing was stored. This is how your post will appear; post it with the button below.</p>
${p.title !== null ? html`<p class="preview-title">Title: <b>${p.title}</b></p>` : ''}
<article class="post"><header><b>${who.handle}</b> <code>${who.short}</code> <i class="sig">${how}</i></header>
${trustedPostHtml(p.bodyHtml)}</article>
${p.toSign !== null
  ? html`<p>The text box will be posted, marked <i>session-attested</i>. To sign it with GnuPG instead, write exactly this text to a file, run <code>gpg --clearsign FILE</code>, paste <code>FILE.asc</code> in the clearsigned box and empty the text box:</p>
<pre class="to-sign">${p.toSign}</pre>`
  : ''}
</section>`
}

/** The form's preview slot: empty until a preview fills it (htmx swaps its inside). */
export const previewSlot = (id: string, preview?: Html): Html => html`<div id="${id}" class="preview-slot" aria-live="polite">${preview ?? ''}</div>`

/** The second submit button: the same form, sent to the preview address (htmx: into the slot). */
export const previewButton = (action: string, slot: string): Html =>
  html`<button formaction="${action}" hx-post="${action}" hx-target="#${slot}" hx-swap="innerHTML">Preview</button>`
