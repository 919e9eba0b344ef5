import { html, type Html } from '../html.ts'

export function homeMain(cells: { slug: string; name: string }[]): Html {
  return html`<h1>Cells</h1>
${cells.length === 0 ? html`<p>No cells yet. An operator creates them with <code>npm run cellboard -- cell create</code>.</p>` : ''}
<ul class="cells">${cells.map((c) => html`<li><a href="/c/${c.slug}">${c.name}</a> <code>${c.slug}</code></li>`)}</ul>`
}
