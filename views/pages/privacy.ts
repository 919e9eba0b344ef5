import type { ColumnEntry } from '../../src/db/registry.ts'
import { LETTER_BUCKETS } from '../../src/domain/letters.ts'
import { html, type Html } from '../html.ts'

export type PrivacyProps = {
  tables: { name: string; about: string; columns: [string, ColumnEntry][] }[]
  ephemeral: readonly (readonly [string, string])[]
  neverKept: readonly string[]
  granularityMinutes: number
  sessionHours: number
}

export function privacyMain(p: PrivacyProps): Html {
  return html`<h1>What this server keeps</h1>
<p>This page is generated from the data-class registry the tests check against the database schema.
Published data is what someone chose to publish; operational data is what the software needs to run and says
nothing about a person; ephemeral data never reaches the database.</p>
<h2>Never collected</h2><ul>${p.neverKept.map((n) => html`<li>${n}</li>`)}</ul>
<p>Published times are rounded to ${p.granularityMinutes} minutes.</p>
<h2>Kept only in memory</h2><ul>${p.ephemeral.map(([what, why]) => html`<li><b>${what}</b>: ${why}</li>`)}</ul>
<p>Sessions end after ${p.sessionHours} hours idle.</p>
<h2>Letters to a cell</h2>
<p>Anyone may write to a cell that has set a key. A letter is encrypted to the cell’s public key before it is kept: with
JavaScript on, in your browser, so only ciphertext is sent; with JavaScript off, by this server as it receives the letter,
in memory, before anything is written anywhere. The cell’s private key is never on this server, so the server cannot read a
letter, and nor can anyone who seizes or copies it: they get ciphertext only.</p>
<p>Every letter is padded before it is encrypted, to ${LETTER_BUCKETS.map((b) => `${b / 1024} KiB`).join(', ')} (with NUL bytes
after the text), so its size says only which of these it fits. The server refuses to keep anything that is not a message to
the cell key alone, of one of these sizes.</p>
<p>What the server can see: that a letter arrived, to which cell, at about what time (kept rounded, for the retention), and
its padded size. It keeps no plaintext, no address and nothing about who wrote it; the reference the writer is given is kept
only beside the letter. Only keys at the tier the cell names for its letters (its voters, unless it says otherwise) see how many letters wait, and download them to decrypt offline; a letter
marked handled is deleted at once and purged from the database files, and one never marked is forgotten after the cell’s
retention (30 days unless the cell says otherwise). Nobody else learns that letters exist.</p>
<p>When a key leaves a cell’s roster, whoever held it may still hold the cell key’s private key, so the cell page asks for
the key to be rotated. A new key is published only with a statement the old key signed naming it; every earlier key and its
statement stay published (the cell’s <q>key transitions</q> page), so you can check with <code>gpg --verify</code> that the key
you write to was named by the one you trusted. Letters already kept stay encrypted to the key they were written to until
they are handled or forgotten.</p>
<h2>In the database</h2>
${p.tables.map(
  (t) => html`<h3><code>${t.name}</code></h3><p>${t.about}</p><table><thead><tr><th>column</th><th>class</th><th>why</th></tr></thead><tbody>${t.columns.map(
    ([col, [cls, why]]) => html`<tr><td><code>${col}</code></td><td>${cls}</td><td>${why}</td></tr>`,
  )}</tbody></table>`,
)}`
}
