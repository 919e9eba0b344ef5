import type { IssuedCost } from '../../src/domain/costs.ts'
import { groupedFingerprint, LETTER_BUCKETS, LETTER_MAX_BYTES } from '../../src/domain/letters.ts'
import { html, type Html } from '../html.ts'
import { costFields } from '../partials/cost.ts'
import { csrfField, describedBy, fieldError, formMessage, type FormState } from '../partials/forms.ts'
import type { Viewer } from '../viewer.ts'

type CellRef = { slug: string; name: string }
const crumbs = (cell: CellRef) => html`<nav class="crumbs"><a href="/c/${cell.slug}">${cell.name}</a> /</nav>`
const kib = (b: number) => `${b / 1024} KiB`

/** The cell key's fingerprint, grouped by four for reading aloud, with where to get the key. */
export function cellKeyLine(cell: { slug: string }, fingerprint: string): Html {
  return html`<p class="cell-key">Cell key: <code class="fpr-grouped">${groupedFingerprint(fingerprint)}</code> (<a href="/c/${cell.slug}/key.asc">key.asc</a>).
Check it with the cell by another way before you trust it.</p>`
}

export type LetterFormProps = { cell: CellRef; fingerprint: string | null; viewer: Viewer; cost: IssuedCost | null; form: FormState }

/**
 * A letter to the cell. With JavaScript on, static/letter.js pads and encrypts the text to the
 * cell key in the browser and sends only `ciphertext`; with it off, the text goes as it is and the
 * server encrypts it on receipt. Either way only ciphertext is kept.
 */
export function letterFormMain(p: LetterFormProps): Html {
  if (!p.fingerprint) {
    return html`${crumbs(p.cell)}<h1>Write to ${p.cell.name}</h1>
<p class="no-letters">This cell does not take letters: it has not set a key to encrypt them to.</p>`
  }
  return html`${crumbs(p.cell)}<h1>Write to ${p.cell.name}</h1>
<p>A letter needs no identity. It is encrypted to the cell’s key before it is kept, so this server cannot read it; the cell’s
voters download and decrypt it offline. It is forgotten once they mark it handled, or after some weeks.</p>
${cellKeyLine(p.cell, p.fingerprint)}
<form method="post" action="/c/${p.cell.slug}/letters" data-encrypt-letter data-key="/c/${p.cell.slug}/key.asc">
${csrfField(p.viewer.csrf)}${formMessage(p.form)}
<label for="letter-text">Your letter</label>
<textarea id="letter-text" name="text" rows="14"${describedBy(p.form, 'text')}>${p.form.values.text ?? ''}</textarea>
${fieldError(p.form, 'text')}
<input type="hidden" name="ciphertext" value="">
<p class="hint">At most ${kib(LETTER_MAX_BYTES)}. Every letter is padded to ${LETTER_BUCKETS.slice(0, -1).map(kib).join(', ')} or ${kib(LETTER_MAX_BYTES)}, so its size says little about it.
<span class="letter-status" role="status"></span></p>
${costFields(p.cost, p.form)}
<button>Encrypt and send</button>
</form>`
}

export function letterSentMain(p: { cell: CellRef; reference: string }): Html {
  return html`${crumbs(p.cell)}<h1>Your letter was sent</h1>
<p>It is kept only encrypted to the cell’s key. Its reference is:</p>
<p class="letter-reference"><code>${p.reference}</code></p>
<p>Keep it if you like: if the cell publishes an answer to your letter, it can name this reference so you find it. It is
stored only beside your letter and forgotten with it. Nothing else links this letter to you.</p>
<p><a href="/c/${p.cell.slug}">Back to ${p.cell.name}</a></p>`
}

export type InboxProps = { cell: CellRef & { retentionDays: number }; count: number; viewer: Viewer; form: FormState; handled: number | null }

/** The inbox, for those who read it: how many letters wait, the download, and "handled". */
export function inboxMain(p: InboxProps): Html {
  return html`${crumbs(p.cell)}<h1>Letters to ${p.cell.name}</h1>
${p.handled !== null ? html`<p class="notice" role="status">${p.handled} letter${p.handled === 1 ? '' : 's'} forgotten.</p>` : ''}
<p class="letters-waiting">${p.count === 0 ? 'No letters wait.' : `${p.count} letter${p.count === 1 ? '' : 's'} wait${p.count === 1 ? 's' : ''}.`}</p>
${p.count > 0 ? html`<p><a href="/c/${p.cell.slug}/letters/inbox.asc" download>Download them</a> as one file of armored OpenPGP messages, each naming its reference.
Decrypt them offline with the cell’s private key; strip the padding (NUL bytes at the end): <code>gpg --decrypt letter.asc | tr -d '\\000'</code>.</p>` : ''}
<p>Letters not marked handled are forgotten after ${p.cell.retentionDays} days.</p>
<form method="post" action="/c/${p.cell.slug}/letters/handled">${csrfField(p.viewer.csrf)}${formMessage(p.form)}
<label for="references">Mark letters handled (they are forgotten at once): their references, one per line</label>
<textarea id="references" name="references" rows="4"${describedBy(p.form, 'references')}>${p.form.values.references ?? ''}</textarea>
${fieldError(p.form, 'references')}
<button>Forget these letters</button>
</form>`
}
