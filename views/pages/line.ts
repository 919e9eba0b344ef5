import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { linkTo, tHtml } from '../partials/question-kinds.ts'

export type LineProps = { cell: { slug: string; name: string }; versions: { version: number; created_at: string; question_number: number | null; principles: { number: number; text: string }[] }[] }

/** The current line and every earlier version, each with the decision that made it. */
export function lineMain(p: LineProps): Html {
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> /</nav>
<h1>${t('questions.line_title', { cell: p.cell.name })}</h1>
<p>${t('questions.line_changes')} ${tHtml('questions.propose_amendment', { link: linkTo(`/c/${p.cell.slug}/questions/new?kind=amend_line`) })}</p>
${p.versions.map(
  (v, i) => html`<section class="line-version"><h2>${t(i === 0 ? 'questions.line_version_current' : 'questions.line_version', { version: String(v.version) })}</h2>
<p><small>${v.question_number ? tHtml('questions.line_since_decision', { at: when(v.created_at), link: linkTo(`/c/${p.cell.slug}/questions/${v.question_number}`), number: String(v.question_number) }) : t('questions.line_since_operator', { at: when(v.created_at) })}</small></p>
${v.principles.length ? html`<ol>${v.principles.map((pr) => html`<li value="${pr.number}">${pr.text}</li>`)}</ol>` : html`<p>${t('questions.no_principles')}</p>`}</section>`,
)}`
}
