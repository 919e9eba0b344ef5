import { raw } from 'hono/html'
import type { QuestionKind, ShownPayload } from '../../src/services/questions/kinds.ts'
import { t, type Values } from '../../src/i18n/index.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'
import { tMarked } from './marked.ts'

// i18n-exempt below: a TypeScript generic reads, to the template check, as a tag before words.
type KindView<K extends QuestionKind> = { // i18n-exempt: a TypeScript type, not markup
  about(p: Extract<ShownPayload, { kind: K }>, ctx: AboutContext): Html // i18n-exempt: a TypeScript type, not markup
  fields(kit: FieldKit): Html
}
type KindViews = { [K in QuestionKind]: KindView<K> } // i18n-exempt: a TypeScript type, not markup

// The view of each kind of line question, one entry per kind beside its entry in
// src/services/questions/kinds.ts: what a question of that kind is about, in words, and the
// fields of its raise form.

const isHtml = (v: unknown): v is Html => v instanceof String && (v as { isEscaped?: boolean }).isEscaped === true
type Wrap = (inner: Html) => Html
/** A link around part of a sentence (the catalog's `link` tag); `attrs` are ours (hx-boost="false"), never a person's. */
export const linkTo =
  (href: string, attrs = ''): Wrap =>
  (inner) =>
    html`<a href="${href}"${raw(attrs)}>${inner}</a>`
/** The catalog's b, i and q tags around some of a message's words. */
const WRAPS: { [tag: string]: Wrap } = { b: (inner) => html`<b>${inner}</b>`, i: (inner) => html`<i>${inner}</i>`, q: (inner) => html`<q>${inner}</q>` }

/**
 * A catalog message that holds markup (the tags b, i, q and link, and Html values such as a
 * fingerprint in its code element), through tMarked (views/partials/marked.ts): plain values are
 * escaped text, numbers formatted per language, and the sentence stays whole in the catalog.
 */
export function tHtml(key: string, values: { [name: string]: string | number | Html | Wrap } = {}): Html {
  const parts: { [name: string]: Html | Wrap } = { ...WRAPS }
  const plain: Values = {}
  for (const [k, x] of Object.entries(values)) {
    if (typeof x === 'function' || isHtml(x)) parts[k] = x
    else plain[k] = x
  }
  return tMarked(key, parts, plain)
}

/** A ballot's choice (yes, no, abstain) as the reader's language words it; the ballot text keeps the English word. */
export const choiceLabel = (c: string) => (c === 'yes' || c === 'no' || c === 'abstain' ? t(`questions.choice_${c}`) : c)

/** What the summary of a question knows besides its payload. */
export type AboutContext = { cell: string; lineVersion: number; status: 'open' | 'closed'; outcome: string | null; post: { bodyHtml: string } | null }

/** The raise form's building blocks, bound to the form being shown. */
export type FieldKit = {
  field(name: string, label: string, rows?: number): Html
  /** Radio buttons; `labelOf` words a value (a tier's name is shown as it is). */
  choices(name: string, legend: string, values: readonly string[], labelOf?: (value: string) => string): Html
  /** The cell's boards the viewer reads, by their names (a question may name no other). */
  boardSelect(name: string, label: string): Html
  principleSelect: Html
  /** The cell's tiers, lowest first. */
  tiers: readonly string[]
}


/** The post a removal question is about, as published (its stored HTML). */
export const postInQuestion = (bodyHtml: string) => html`<div class="post in-question">${trustedPostHtml(bodyHtml)}</div>`
const principleQuote = (p: { principle: number; principleText: string }) => html`<blockquote class="principle">${p.principle}. <bdi>${p.principleText}</bdi></blockquote>`
const fpr = (f: string) => html`<code class="fpr">${f}</code>`
const ref = (r: string) => html`<code class="reference">${r}</code>`

export const KIND_VIEWS: KindViews = {
  remove_post: {
    about(p, ctx) {
      if ('withheld' in p) {
        return html`<p>${tHtml('question_kinds.about_remove_post_withheld', { principle: String(p.principle), version: String(ctx.lineVersion) })}</p>${principleQuote(p)}
<p><i>${t('question_kinds.withheld_post_note')}</i></p>`
      }
      return html`<p>${tHtml('question_kinds.about_remove_post', { link: linkTo(`/c/${ctx.cell}/${p.board}/t/${p.thread}/p/${p.number}`), number: String(p.number), thread: String(p.thread), board: p.board, principle: String(p.principle), version: String(ctx.lineVersion) })}</p>${principleQuote(p)}
${ctx.post ? postInQuestion(ctx.post.bodyHtml) : ctx.status === 'closed' && ctx.outcome === 'adopted' ? html`<p><i>${t('question_kinds.post_removed')}</i></p>` : html`<p><i>${t('question_kinds.post_gone')}</i></p>`}`
    },
    fields: (k) => html`${k.field('board', t('question_kinds.field_board'))}${k.field('thread', t('question_kinds.field_thread'))}${k.field('number', t('question_kinds.field_number'))}${k.principleSelect}`,
  },
  amend_line: {
    about: (p) =>
      p.change === 'add'
        ? html`<p>${tHtml('question_kinds.about_add', { text: p.text ?? '' })}</p>`
        : p.change === 'replace'
          ? html`<p>${tHtml('question_kinds.about_replace', { principle: String(p.principle), text: p.text ?? '' })}</p>`
          : html`<p>${t('question_kinds.about_remove', { principle: String(p.principle) })}</p>`,
    fields: (k) => html`${k.choices('change', t('question_kinds.field_change'), ['add', 'replace', 'remove'], (c) => t(`question_kinds.change_${c}`))}
${k.principleSelect}<p class="hint">${t('question_kinds.hint_principle')}</p>${k.field('text', t('question_kinds.field_new_text'), 3)}`,
  },
  admit_key: {
    about: (p) => html`<p>${tHtml('question_kinds.about_admit', { fingerprint: fpr(p.fingerprint), tier: p.role })}</p>`,
    fields: (k) => html`${k.field('public_key', t('question_kinds.field_public_key'), 6)}${k.choices('role', t('question_kinds.field_role'), k.tiers)}`,
  },
  move_key: {
    about: (p) => html`<p>${tHtml('question_kinds.about_move', { fingerprint: fpr(p.fingerprint), from: p.from, tier: p.tier })}</p>`,
    fields: (k) => html`${k.field('fingerprint', t('question_kinds.field_fingerprint'))}${k.choices('tier', t('question_kinds.field_new_tier'), k.tiers)}`,
  },
  remove_key: {
    about: (p) => html`<p>${tHtml('question_kinds.about_remove_key', { fingerprint: fpr(p.fingerprint) })}</p>`,
    fields: (k) => k.field('fingerprint', t('question_kinds.field_fingerprint')),
  },
  recognise_cell: {
    about: (p) => html`<p>${tHtml('question_kinds.about_recognise', { name: p.name, location: html`<code>${p.location}</code>`, fingerprint: fpr(p.fingerprint) })}</p>`,
    fields: (k) => html`${k.field('name', t('question_kinds.field_cell_name'))}${k.field('location', t('question_kinds.field_location'))}${k.field('public_key', t('question_kinds.field_cell_key'), 6)}`,
  },
  withdraw_recognition: {
    about: (p) => html`<p>${tHtml('question_kinds.about_withdraw', { name: p.name, fingerprint: fpr(p.fingerprint) })}</p>`,
    fields: (k) => k.field('fingerprint', t('question_kinds.field_fingerprint')),
  },
  publish_answer: {
    about(p, ctx) {
      if ('withheld' in p) return html`<p>${tHtml('question_kinds.about_publish_withheld')}</p><p><i>${t('question_kinds.withheld_answer_note')}</i></p>`
      const thread = `/c/${ctx.cell}/${p.board}/t/${p.thread}`
      const where = { thread: String(p.thread), board: p.board }
      // Once adopted: the thread it published (no link once both its posts were removed), or that nothing was.
      const published =
        p.thread === null
          ? html`<p><i>${t('question_kinds.publish_nothing')}</i></p>`
          : p.text === '' && p.answer === ''
            ? html`<p>${t('question_kinds.published_removed', where)}</p>`
            : html`<p>${p.reference ? tHtml('question_kinds.published_as_ref', { link: linkTo(thread), ...where, reference: ref(p.reference) }) : tHtml('question_kinds.published_as', { link: linkTo(thread), ...where })}</p>`
      return html`<p>${p.reference ? tHtml('question_kinds.about_publish_ref', { board: p.board, reference: ref(p.reference) }) : tHtml('question_kinds.about_publish', { board: p.board })}</p>
<section class="answer-letter"><h3>${t('question_kinds.reader_writes_heading')}</h3>${copyOf(p.text)}</section>
<section class="answer-reply"><h3>${t('question_kinds.cell_replies_heading')}</h3>${copyOf(p.answer)}</section>
${ctx.status === 'closed' && ctx.outcome === 'adopted' ? published : ''}`
    },
    fields: (k) => html`<p class="hint">${t('question_kinds.hint_publish')}</p>
${k.boardSelect('board', t('question_kinds.field_publish_board'))}${k.field('text', t('question_kinds.field_letter'), 8)}${k.field('answer', t('question_kinds.field_answer'), 8)}
${k.field('reference', t('question_kinds.field_reference'))}`,
  },
}

/** A published answer's letter or answer as its question keeps it: empty once the post that published it was removed (services/forget.ts). */
const copyOf = (text: string): Html => (text === '' ? html`<p><i>${t('question_kinds.answer_part_removed')}</i></p>` : html`<pre>${text}</pre>`)

/** The view of a payload, whichever kind it is. */
export const aboutOf = (p: ShownPayload, ctx: AboutContext): Html => (KIND_VIEWS[p.kind].about as (p: ShownPayload, ctx: AboutContext) => Html)(p, ctx)
