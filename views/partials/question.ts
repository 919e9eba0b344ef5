import type { Question } from '../../src/db/schema.ts'
import { QUESTION_KINDS, type ShownPayload } from '../../src/domain/questions.ts'
import { showTime } from '../../src/domain/time.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'

export type QuestionView = Pick<Question, 'number' | 'kind' | 'line_version' | 'eligible' | 'quorum' | 'threshold' | 'opened_at' | 'deadline' | 'status' | 'outcome'> & {
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
  const p = q.payload
  let about: Html
  switch (p.kind) {
    case 'remove_post':
      if ('withheld' in p) {
        about = html`<p>Does <b>${p.withheld}</b> contradict <b>principle ${p.principle}</b> of line version ${q.line_version}?</p><blockquote class="principle">${p.principle}. ${p.principleText}</blockquote>
<p><i>Only those who may read that board see which post it is, its text and the argument for removing it.</i></p>`
        break
      }
      about = html`<p>Does <a href="/c/${cell}/${p.board}/t/${p.thread}/p/${p.number}">post ${p.number} of thread ${p.thread}</a> on “${p.board}” contradict
<b>principle ${p.principle}</b> of line version ${q.line_version}?</p><blockquote class="principle">${p.principle}. ${p.principleText}</blockquote>
${q.post ? html`<div class="post in-question">${trustedPostHtml(q.post.bodyHtml)}</div>` : q.status === 'closed' && q.outcome === 'adopted' ? html`<p><i>The post was removed; its content is not shown.</i></p>` : html`<p><i>The post no longer exists.</i></p>`}`
      break
    case 'amend_line':
      about = p.change === 'add'
        ? html`<p>Add a principle to the line: <q>${p.text}</q></p>`
        : p.change === 'replace'
          ? html`<p>Replace principle ${p.principle} with: <q>${p.text}</q></p>`
          : html`<p>Remove principle ${p.principle} from the line.</p>`
      break
    case 'admit_key':
      about = html`<p>Admit the key <code class="fpr">${p.fingerprint}</code> to the roster as <b>${p.role}</b>.</p>`
      break
    case 'remove_key':
      about = html`<p>Remove the key <code class="fpr">${p.fingerprint}</code> from the roster.</p>`
      break
    case 'recognise_cell':
      about = html`<p>Recognise <b>${p.name}</b> (<code>${p.location}</code>, key <code class="fpr">${p.fingerprint}</code>) as a fraternal cell.</p>`
      break
    case 'withdraw_recognition':
      about = html`<p>Withdraw the recognition of <b>${p.name}</b> (key <code class="fpr">${p.fingerprint}</code>).</p>`
      break
  }
  return html`<h2><a href="/c/${cell}/questions/${q.number}">Question ${q.number}</a>: ${QUESTION_KINDS[q.kind].label}</h2>
${about}
${q.argument === null ? '' : html`<p class="argument"><b>Argument:</b> ${q.argument}</p>`}
<p><small>Asked under line version ${q.line_version} on ${showTime(q.opened_at)}. ${q.eligible} voters; quorum ${q.quorum} ballots; carried by ${THRESHOLD[q.threshold]}.
${q.status === 'open' ? html`Closes by ${showTime(q.deadline)} at the latest.` : ''}</small></p>`
}
