import type { QuestionKind, ShownPayload } from '../../src/services/questions/kinds.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'

// The view of each kind of line question, one entry per kind beside its entry in
// src/services/questions/kinds.ts: what a question of that kind is about, in words, and the
// fields of its raise form.

/** What the summary of a question knows besides its payload. */
export type AboutContext = { cell: string; lineVersion: number; status: 'open' | 'closed'; outcome: string | null; post: { bodyHtml: string } | null }

/** The raise form's building blocks, bound to the form being shown. */
export type FieldKit = {
  field(name: string, label: string, rows?: number): Html
  choices(name: string, legend: string, values: readonly string[]): Html
  principleSelect: Html
  /** The cell's tiers, lowest first. */
  tiers: readonly string[]
}

type KindView<K extends QuestionKind> = {
  about(p: Extract<ShownPayload, { kind: K }>, ctx: AboutContext): Html
  fields(kit: FieldKit): Html
}

const principleQuote = (p: { principle: number; principleText: string }) => html`<blockquote class="principle">${p.principle}. ${p.principleText}</blockquote>`

export const KIND_VIEWS: { [K in QuestionKind]: KindView<K> } = {
  remove_post: {
    about(p, ctx) {
      if ('withheld' in p) {
        return html`<p>Does <b>${p.withheld}</b> contradict <b>principle ${p.principle}</b> of line version ${ctx.lineVersion}?</p>${principleQuote(p)}
<p><i>Only those who may read that board see which post it is, its text and the argument for removing it.</i></p>`
      }
      return html`<p>Does <a href="/c/${ctx.cell}/${p.board}/t/${p.thread}/p/${p.number}">post ${p.number} of thread ${p.thread}</a> on “${p.board}” contradict
<b>principle ${p.principle}</b> of line version ${ctx.lineVersion}?</p>${principleQuote(p)}
${ctx.post ? html`<div class="post in-question">${trustedPostHtml(ctx.post.bodyHtml)}</div>` : ctx.status === 'closed' && ctx.outcome === 'adopted' ? html`<p><i>The post was removed; its content is not shown.</i></p>` : html`<p><i>The post no longer exists.</i></p>`}`
    },
    fields: (k) => html`${k.field('board', 'Board (its short name)')}${k.field('thread', 'Thread number')}${k.field('number', 'Post number (#N)')}${k.principleSelect}`,
  },
  amend_line: {
    about: (p) =>
      p.change === 'add'
        ? html`<p>Add a principle to the line: <q>${p.text}</q></p>`
        : p.change === 'replace'
          ? html`<p>Replace principle ${p.principle} with: <q>${p.text}</q></p>`
          : html`<p>Remove principle ${p.principle} from the line.</p>`,
    fields: (k) => html`${k.choices('change', 'Change', ['add', 'replace', 'remove'])}
${k.principleSelect}<p class="hint">The principle to replace or remove (ignored when adding).</p>${k.field('text', 'New principle text (to add or replace with)', 3)}`,
  },
  admit_key: {
    about: (p) => html`<p>Admit the key <code class="fpr">${p.fingerprint}</code> to the roster at the tier <b>${p.role}</b>.</p>`,
    fields: (k) => html`${k.field('public_key', 'The public key to admit', 6)}${k.choices('role', 'Tier (lowest first)', k.tiers)}`,
  },
  move_key: {
    about: (p) => html`<p>Move the key <code class="fpr">${p.fingerprint}</code> from the tier <b>${p.from}</b> to <b>${p.tier}</b>.</p>`,
    fields: (k) => html`${k.field('fingerprint', 'The key’s fingerprint')}${k.choices('tier', 'Its new tier (lowest first)', k.tiers)}`,
  },
  remove_key: {
    about: (p) => html`<p>Remove the key <code class="fpr">${p.fingerprint}</code> from the roster.</p>`,
    fields: (k) => k.field('fingerprint', 'The key’s fingerprint'),
  },
  recognise_cell: {
    about: (p) => html`<p>Recognise <b>${p.name}</b> (<code>${p.location}</code>, key <code class="fpr">${p.fingerprint}</code>) as a fraternal cell.</p>`,
    fields: (k) => html`${k.field('name', 'The other cell’s name')}${k.field('location', 'Its address (http:// or https://)')}${k.field('public_key', 'Its cell key', 6)}`,
  },
  withdraw_recognition: {
    about: (p) => html`<p>Withdraw the recognition of <b>${p.name}</b> (key <code class="fpr">${p.fingerprint}</code>).</p>`,
    fields: (k) => k.field('fingerprint', 'The key’s fingerprint'),
  },
  publish_answer: {
    about(p, ctx) {
      if ('withheld' in p) return html`<p>Publish <b>${p.withheld}</b>.</p><p><i>Only those who may read that board see which board it is, the letter, the answer and the argument.</i></p>`
      const thread = `/c/${ctx.cell}/${p.board}/t/${p.thread}`
      return html`<p>Publish on “${p.board}” a thread <q>A reader writes</q>${p.reference ? html` naming the letter <code class="reference">${p.reference}</code>` : ''}: the letter as the cell would publish it, and the cell’s answer.</p>
<section class="answer-letter"><h3>A reader writes:</h3><pre>${p.text}</pre></section>
<section class="answer-reply"><h3>The cell replies:</h3><pre>${p.answer}</pre></section>
${ctx.status === 'closed' && ctx.outcome === 'adopted'
  ? p.thread !== null
    ? html`<p>Published as <a href="${thread}">thread ${p.thread} on “${p.board}”</a>${p.reference ? html`, for the writer of letter <code class="reference">${p.reference}</code>` : ''}.</p>`
    : html`<p><i>The board was gone when the question closed, so nothing was published.</i></p>`
  : ''}`
    },
    fields: (k) => html`<p class="hint">Type the letter as the cell would publish it, from the decrypted letter, leaving out whatever could identify its writer: the server cannot read letters. Like every question, this one is public to whoever may read the board it names.</p>
${k.field('board', 'Board to publish on (its short name)')}${k.field('text', 'The letter, as it will be published', 8)}${k.field('answer', 'The cell’s answer', 8)}
${k.field('reference', 'The letter’s reference (optional: its writer finds the answer by it)')}`,
  },
}

/** The view of a payload, whichever kind it is. */
export const aboutOf = (p: ShownPayload, ctx: AboutContext): Html => (KIND_VIEWS[p.kind].about as (p: ShownPayload, ctx: AboutContext) => Html)(p, ctx)
