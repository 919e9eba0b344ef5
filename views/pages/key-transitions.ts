import { groupedFingerprint } from '../../src/domain/letters.ts'
import { showTime } from '../../src/domain/time.ts'
import { html, type Html } from '../html.ts'
import { cellKeyLine } from './letters.ts'

export type KeyTransitionsProps = {
  cell: { slug: string; name: string }
  /** The cell key now; null: the cell has none. */
  fingerprint: string | null
  /** Newest first. */
  transitions: { number: number; old_fingerprint: string; new_fingerprint: string; statement: string; created_at: string }[]
}

const fpr = (f: string) => html`<code class="fpr-grouped">${groupedFingerprint(f)}</code>`

/**
 * Every earlier key of a cell, with the statement it clearsigned naming the key that replaced it:
 * a writer who trusted an old key can check each step with gpg, offline.
 */
export function keyTransitionsMain(p: KeyTransitionsProps): Html {
  const base = `/c/${p.cell.slug}/key-transitions`
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> /</nav>
<h1>Key transitions of ${p.cell.name}</h1>
<p>When the cell replaces its key, the old key signs a statement that names the new key’s whole fingerprint, and both are
published here. If you trusted an old key, you can check that each new key was named by the one before it:</p>
<pre>gpg --import old-key.asc
gpg --verify statement.asc</pre>
<p>gpg should say <q>Good signature</q> from the old key, and the statement should name the next key’s fingerprint.</p>
${p.fingerprint ? cellKeyLine(p.cell, p.fingerprint) : html`<p>This cell has no key now.</p>`}
${
  p.transitions.length === 0
    ? html`<p class="no-transitions">The cell’s key has not been replaced: there is no earlier key.</p>`
    : p.transitions.map(
        (t) => html`<section class="key-transition" id="transition-${t.number}"><h2>Transition ${t.number} <small>(${showTime(t.created_at)})</small></h2>
<p>${fpr(t.old_fingerprint)} → ${fpr(t.new_fingerprint)}</p>
<p><a href="${base}/${t.number}/key.asc">The old key</a> · <a href="${base}/${t.number}/statement.asc">The statement</a> (for <code>gpg --verify</code>)</p>
<pre class="signed-statement">${t.statement}</pre></section>`,
      )
}`
}
