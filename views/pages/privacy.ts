import type { ColumnEntry } from '../../src/db/registry.ts'
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
<h2>In the database</h2>
${p.tables.map(
  (t) => html`<h3><code>${t.name}</code></h3><p>${t.about}</p><table><thead><tr><th>column</th><th>class</th><th>why</th></tr></thead><tbody>${t.columns.map(
    ([col, [cls, why]]) => html`<tr><td><code>${col}</code></td><td>${cls}</td><td>${why}</td></tr>`,
  )}</tbody></table>`,
)}`
}
