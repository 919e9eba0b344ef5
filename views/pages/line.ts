import { showTime } from '../../src/domain/time.ts'
import { html, type Html } from '../html.ts'

export type LineProps = { cell: { slug: string; name: string }; versions: { version: number; created_at: string; question_number: number | null; principles: { number: number; text: string }[] }[] }

/** The current line and every earlier version, each with the decision that made it. */
export function lineMain(p: LineProps): Html {
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> /</nav>
<h1>The line of ${p.cell.name}</h1>
<p>The line changes only by a decision of the cell’s voters. <a href="/c/${p.cell.slug}/questions/new?kind=amend_line">Propose an amendment</a>.</p>
${p.versions.map(
  (v, i) => html`<section class="line-version"><h2>Version ${v.version}${i === 0 ? ' (current)' : ''}</h2>
<p><small>Since ${showTime(v.created_at)}, ${v.question_number ? html`by <a href="/c/${p.cell.slug}/questions/${v.question_number}">decision ${v.question_number}</a>` : 'as the operator set it up'}.</small></p>
${v.principles.length ? html`<ol>${v.principles.map((pr) => html`<li value="${pr.number}">${pr.text}</li>`)}</ol>` : html`<p>No principles.</p>`}</section>`,
)}`
}
