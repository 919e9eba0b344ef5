import type { Question } from '../../src/db/schema.ts'
import type { ShownPayload } from '../../src/services/questions/kinds.ts'
import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { aboutOf, tHtml } from './question-kinds.ts'

export type QuestionView = Pick<Question, 'number' | 'kind' | 'line_version' | 'eligible' | 'quorum' | 'threshold' | 'opened_at' | 'deadline' | 'status' | 'outcome'> & {
  /** The kind's label. */
  label: string
  /** What it asks; a post on a members-only board is withheld from whoever may not read it. */
  payload: ShownPayload
  /** Null when withheld with the post (it may quote it). */
  argument: string | null
  /** The post in question, while it exists and the viewer may read it (remove_post only). */
  post: { bodyHtml: string } | null
}

/** What a question asks, in words, with what it is about. Shared by the queue and its own page. */
export function questionSummary(cell: string, q: QuestionView, own = false): Html {
  const about = aboutOf(q.payload, { cell, lineVersion: q.line_version, status: q.status, outcome: q.outcome, post: q.post })
  // On the question's own page its heading is the page's (h1); in a list, each is an h2.
  const title = html`<a href="/c/${cell}/questions/${q.number}">${t('questions.question_title', { number: String(q.number) })}</a>: ${q.label}`
  // A person's words in a sentence of the reader's language: isolated (bdi), so an English argument
  // in an Arabic page keeps its full stop at its own end.
  return html`${own ? html`<h1>${title}</h1>` : html`<h2>${title}</h2>`}
${about}
${q.argument === null ? '' : html`<p class="argument">${tHtml('questions.argument', { argument: html`<bdi>${q.argument}</bdi>` })}</p>`}
<p><small>${t('questions.asked_under', { version: String(q.line_version), at: when(q.opened_at) })} ${t('questions.voters_quorum', { eligible: q.eligible, quorum: q.quorum, threshold: q.threshold })}
${q.status === 'open' ? t('questions.closes_by', { deadline: when(q.deadline) }) : ''}</small></p>`
}
