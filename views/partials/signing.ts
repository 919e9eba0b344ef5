import { canonicalPostText } from '../../src/domain/posts.ts'
import { html, type Html } from '../html.ts'
import type { Viewer } from '../viewer.ts'
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
    attrs: html` data-sign-post data-site="${place.site}" data-cell="${place.cell}" data-board="${place.board}" data-thread="${place.thread}"`,
    field: html`<input type="hidden" name="signature" value="">
<p class="hint">Signed in this browser with your key before it is sent. Without JavaScript the post is marked session-attested.</p>`,
  }
}

/**
 * A GnuPG session may paste a clearsigned post instead of plain text: the exact text to sign is
 * shown, with the body left for the person to write.
 */
export function gpgSigning(viewer: Viewer, place: Place, form: FormState): Html | '' {
  if (viewer.identity?.kind !== 'gpg') return ''
  const template = canonicalPostText({ ...place, title: place.thread === 'new' ? 'Your title' : null, body: 'Your text…' })
  return html`<details class="gpg-sign"${form.values.signed || form.errors.signed ? html` open` : ''}><summary>Or paste a post you clearsigned with GnuPG</summary>
<p>Write this text to a file (replace the title and text), run <code>gpg --clearsign FILE</code> and paste <code>FILE.asc</code> below.
The post is then exactly the signed text, and anyone can check it with <code>gpg --verify</code>. Without this, your post is
marked <i>session-attested</i>: the server vouches only that your session proved your key.</p>
<pre class="to-sign">${template}</pre>
<label for="signed-${place.thread}">Clearsigned post</label>
<textarea id="signed-${place.thread}" name="signed" rows="8"${describedBy(form, 'signed')}>${form.values.signed ?? ''}</textarea>
${fieldError(form, 'signed')}
</details>`
}
