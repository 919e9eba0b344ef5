import type { IssuedCost } from '../../src/domain/costs.ts'
import { groupedFingerprint, LETTER_BUCKETS, LETTER_MAX_BYTES } from '../../src/domain/letters.ts'
import { html, type Html } from '../html.ts'
import { costFields } from '../partials/cost.ts'
import { csrfField, describedBy, fieldError, formMessage, type FormState } from '../partials/forms.ts'
import type { Viewer } from '../viewer.ts'
import { t } from '../../src/i18n/index.ts'
import { tMarked } from '../partials/marked.ts'

type CellRef = { slug: string; name: string }
const crumbs = (cell: CellRef) => html`<nav class="crumbs"><a href="/c/${cell.slug}">${cell.name}</a> /</nav>`

/** The cell key's fingerprint, grouped by four for reading aloud, with where to get the key. */
export function cellKeyLine(cell: { slug: string }, fingerprint: string): Html {
  const parts = { fingerprint: html`<code class="fpr-grouped" dir="ltr">${groupedFingerprint(fingerprint)}</code>`, link: html`<a href="/c/${cell.slug}/key.asc">key.asc</a>` } // i18n-exempt: a file's name
  return html`<p class="cell-key">${tMarked('letters.cell_key', parts)}
${t('letters.cell_key_check')}</p>`
}

// What static/letter.js says while it encrypts (data-msg-NAME on the form, read as dataset.msgName),
// in the reader's language; `{error}` is filled in by the script.
const LETTER_MESSAGES = { encrypting: 'letters.encrypting', encrypted: 'letters.encrypted', 'too-long': 'letters.js_too_long', 'no-key': 'letters.js_no_key', failed: 'letters.js_failed' } as const
const letterMessages = (): Html => html`${Object.entries(LETTER_MESSAGES).map(([name, key]) => html` data-msg-${name}="${t(key, { error: '{error}' })}"`)}`

export type LetterFormProps = { cell: CellRef; fingerprint: string | null; viewer: Viewer; cost: IssuedCost | null; form: FormState }

/**
 * A letter to the cell. With JavaScript on, static/letter.js pads and encrypts the text to the
 * cell key in the browser and sends only `ciphertext`; with it off, the text goes as it is and the
 * server encrypts it on receipt. Either way only ciphertext is kept. The notice that the server
 * will see the words is in the page, not in a <noscript>: with JavaScript on but the script lost on
 * a dropped circuit, nothing encrypts either; the script hides it once it is there to encrypt.
 */
export function letterFormMain(p: LetterFormProps): Html {
  if (!p.fingerprint) {
    return html`${crumbs(p.cell)}<h1>${t('letters.write_title', { cell: p.cell.name })}</h1>
<p class="no-letters">${t('letters.no_letters')}</p>`
  }
  return html`${crumbs(p.cell)}<h1>${t('letters.write_title', { cell: p.cell.name })}</h1>
<p>${t('letters.write_intro')}</p>
<p class="notice" data-server-encrypts>${t('letters.server_encrypts')}</p>
${cellKeyLine(p.cell, p.fingerprint)}
<form method="post" action="/c/${p.cell.slug}/letters" data-encrypt-letter data-key="/c/${p.cell.slug}/key.asc"${letterMessages()}>
${csrfField(p.viewer.csrf)}${formMessage(p.form)}
<label for="letter-text">${t('letters.letter_label')}</label>
<textarea id="letter-text" name="text" rows="14"${describedBy(p.form, 'text')}>${p.form.values.text ?? ''}</textarea>
${fieldError(p.form, 'text')}
<input type="hidden" name="ciphertext" value="">
<p class="hint">${t('letters.size_hint', { max: LETTER_MAX_BYTES / 1024, b1: LETTER_BUCKETS[0]! / 1024, b2: LETTER_BUCKETS[1]! / 1024, b3: LETTER_BUCKETS[2]! / 1024 })}
<span class="letter-status" role="status"></span></p>
${costFields(p.cost, p.form)}
<button>${t('letters.send_button')}</button>
</form>`
}

export function letterSentMain(p: { cell: CellRef; reference: string }): Html {
  return html`${crumbs(p.cell)}<h1>${t('letters.sent_heading')}</h1>
<p>${t('letters.sent_kept')}</p>
<p class="letter-reference"><code>${p.reference}</code></p>
<p>${t('letters.sent_keep')}</p>
<p><a href="/c/${p.cell.slug}">${t('letters.back_to', { cell: p.cell.name })}</a></p>`
}

export type InboxProps = { cell: CellRef & { retentionDays: number }; count: number; most: number; viewer: Viewer; form: FormState; handled: number | null }

/** The inbox, for those who read it: how many letters wait, the download, and "handled". */
export function inboxMain(p: InboxProps): Html {
  return html`${crumbs(p.cell)}<h1>${t('letters.inbox_title', { cell: p.cell.name })}</h1>
${p.handled !== null ? html`<p class="notice" role="status">${t('letters.forgotten', { count: p.handled })}</p>` : ''}
<p class="letters-waiting">${t('letters.waiting', { count: p.count })}</p>
${p.count >= p.most ? html`<p class="notice" role="status">${t('letters.inbox_full_note', { most: p.most })}</p>` : ''}
${p.count > 0 ? html`<p>${tMarked('letters.download', { link: (inner) => html`<a href="/c/${p.cell.slug}/letters/inbox.asc" download>${inner}</a>` })}
${tMarked('letters.decrypt_hint', { command: html`<code>gpg --decrypt letter.asc | tr -d '\\000'</code>` })}</p>` : ''}
<p>${t('letters.retention', { days: p.cell.retentionDays })}</p>
<form method="post" action="/c/${p.cell.slug}/letters/handled">${csrfField(p.viewer.csrf)}${formMessage(p.form)}
<label for="references">${t('letters.references_label')}</label>
<textarea id="references" name="references" rows="4"${describedBy(p.form, 'references')}>${p.form.values.references ?? ''}</textarea>
${fieldError(p.form, 'references')}
<button>${t('letters.forget_button')}</button>
</form>`
}
