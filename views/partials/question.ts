import type { Question } from '../../src/db/schema.ts'
import type { ShownPayload } from '../../src/services/questions/kinds.ts'
import { showTime } from '../../src/domain/time.ts'
import { html, type Html } from '../html.ts'
import { aboutOf } from './question-kinds.ts'

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

const THRESHOLD = { majority: 'more yes than no', two_thirds: 'two thirds of yes and no' }

/** What a question asks, in words, with what it is about. Shared by the queue and its own page. */
export function questionSummary(cell: string, q: QuestionView): Html {
  const about = aboutOf(q.payload, { cell, lineVersion: q.line_version, status: q.status, outcome: q.outcome, post: q.post })
  return html`<h2><a href="/c/${cell}/questions/${q.number}">Question ${q.number}</a>: ${q.label}</h2>
${about}
${q.argument === null ? '' : html`<p class="argument"><b>Argument:</b> ${q.argument}</p>`}
<p><small>Asked under line version ${q.line_version} on ${showTime(q.opened_at)}. ${q.eligible} voters; quorum ${q.quorum} ballots; carried by ${THRESHOLD[q.threshold]}.
${q.status === 'open' ? html`Closes by ${showTime(q.deadline)} at the latest.` : ''}</small></p>`
}
