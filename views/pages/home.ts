import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'

export function homeMain(cells: { slug: string; name: string }[]): Html {
  return html`<h1>${t('cell.title_cells')}</h1>
${cells.length === 0 ? html`<p>${t('cell.no_cells')} <code>npm run cellboard -- cell create</code>.</p>` : ''}
<ul class="cells">${cells.map((c) => html`<li><a href="/c/${c.slug}">${c.name}</a> <code>${c.slug}</code></li>`)}</ul>`
}
