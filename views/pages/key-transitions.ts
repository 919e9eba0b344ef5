import { groupedFingerprint } from '../../src/domain/letters.ts'
import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { cellKeyLine } from './letters.ts'
import { tMarked } from '../partials/marked.ts'

export type KeyTransitionsProps = {
  cell: { slug: string; name: string }
  /** The cell key now; null: the cell has none. */
  fingerprint: string | null
  /** Newest first. */
  transitions: { number: number; old_fingerprint: string; new_fingerprint: string; statement: string; created_at: string }[]
  /** What the gpg commands call step n's files: as the server names its downloads, unless an archive holds them under its own names. */
  files?: (n: number, file: 'old-key' | 'statement') => string
}

// Left to right in every language: dir isolates it from the sentence around it (in Arabic an arrow
// between two fingerprints read as the new key becoming the old one, and at 390 px the two ran together).
const fpr = (f: string) => html`<code class="fpr-grouped" dir="ltr">${groupedFingerprint(f)}</code>`

/**
 * Every earlier key of a cell, with the statement it clearsigned naming the key that replaced it:
 * a writer who trusted an old key can check each step with gpg, offline.
 */
export function keyTransitionsMain(p: KeyTransitionsProps): Html {
  const base = `/c/${p.cell.slug}/key-transitions`
  // The commands name the files as the server names its downloads (http/key-transitions.ts), or as
  // an archive holds them, so they can be pasted as they are; above, for the newest step.
  const file = p.files ?? ((n, f) => `${p.cell.slug}-key-transition-${n}-${f}.asc`)
  const commands = (n: number) => html`<pre>gpg --import ${file(n, 'old-key')}
gpg --verify ${file(n, 'statement')}</pre>`
  const newest = Math.max(0, ...p.transitions.map((tr) => tr.number))
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> /</nav>
<h1>${t('keys.transitions_title', { cell: p.cell.name })}</h1>
<p>${t('keys.transitions_intro')}</p>
${newest > 0 ? commands(newest) : ''}
<p>${tMarked('keys.gpg_should_say', { q: (inner) => html`<q>${inner}</q>` })}</p>
${p.fingerprint ? cellKeyLine(p.cell, p.fingerprint) : html`<p>${t('keys.no_key_now')}</p>`}
${
  p.transitions.length === 0
    ? html`<p class="no-transitions">${t('keys.no_transitions')}</p>`
    : p.transitions.map(
        (tr) => html`<section class="key-transition" id="transition-${tr.number}"><h2>${tMarked('keys.transition_heading', { small: (inner) => html`<small>${inner}</small>` }, { number: tr.number, time: when(tr.created_at) })}</h2>
<p>${tMarked('keys.transition_keys', { old: fpr(tr.old_fingerprint), new: fpr(tr.new_fingerprint) })}</p>
<p>${tMarked('keys.transition_files', { key: (inner) => html`<a href="${base}/${tr.number}/key.asc">${inner}</a>`, statement: (inner) => html`<a href="${base}/${tr.number}/statement.asc">${inner}</a>`, command: html`<code>gpg --verify</code>` })}</p>
${tr.number === newest ? '' : commands(tr.number)}<pre class="signed-statement">${tr.statement}</pre></section>`,
      )
}`
}
