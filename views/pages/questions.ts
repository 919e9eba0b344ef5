import { parseTiers } from '../../src/domain/tiers.ts'
import type { QuestionKind } from '../../src/services/questions/kinds.ts'
import { feedPaths } from '../../src/domain/feeds.ts'
import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { ballotForm, type BallotPlace } from '../partials/ballot-form.ts'
import { boundFields, describedBy, fieldError, formMessage, type FormState } from '../partials/forms.ts'
import { questionSummary, type QuestionView } from '../partials/question.ts'
import { choiceLabel, KIND_VIEWS, linkTo, postInQuestion, tHtml, type FieldKit } from '../partials/question-kinds.ts'
import type { Viewer } from '../viewer.ts'

type Cell = { slug: string; name: string }
export type QueueItem = { q: QuestionView; ballots: number; canVote: boolean; place: BallotPlace }

const crumbs = (cell: Cell) => html`<nav class="crumbs"><a href="/c/${cell.slug}">${cell.name}</a> /</nav>`

/** The voters' queue: open questions, what each is about, how many ballots so far, and the form. */
export function queueMain(p: { cell: Cell; items: QueueItem[]; viewer: Viewer }): Html {
  return html`${crumbs(p.cell)}<h1>${t('questions.queue_title')}</h1>
<p><a href="/c/${p.cell.slug}/questions/new">${t('questions.raise_title')}</a> · <a href="/c/${p.cell.slug}/decisions">${t('questions.decisions_title')}</a> · <a href="/c/${p.cell.slug}/line">${t('questions.nav_line')}</a></p>
${p.items.length === 0 ? html`<p>${t('questions.none_open')}</p>` : ''}
${p.items.map((i) => questionBlock(p.cell, i, p.viewer, { values: {}, errors: {} }))}`
}

/** mine: the viewer's ballot, shown under the question's heading and chosen already in the form that replaces it. */
function questionBlock(cell: Cell, i: QueueItem, viewer: Viewer, form: FormState, mine?: MyBallot | null, own = false): Html {
  const f = mine && form.values.choice === undefined ? { ...form, values: { ...form.values, choice: mine.choice } } : form
  return html`<article class="question" id="q${i.q.number}">${questionSummary(cell.slug, i.q, own)}
<p class="ballot-count">${tHtml('questions.ballot_count', { cast: i.ballots, eligible: i.q.eligible })} ${t('questions.choices_published')}</p>
${mine ? myBallot(mine, i.q.deadline) : ''}${i.canVote ? ballotForm({ viewer, place: i.place, form: f, action: `/c/${cell.slug}/questions/${i.q.number}/ballot` }) : formMessage(form)}</article>`
}

export type DecisionBallot = { fingerprint: string; choice: string; signing: string; signed_text: string }

/** The viewer's own ballot on an open question: shown to them alone, on a page never cached. */
export type MyBallot = { choice: string; signing: 'disposable' | 'browser' | 'gpg-signed'; cast_at: string; fingerprint: string }

/** A signing as the reader's language words it. */
const signingLabel = (s: string) => (s === 'disposable' || s === 'browser' ? t(`questions.signing_${s}`) : s === 'gpg-signed' ? t('questions.signing_gpg') : s)
const SIGNED_WITH = { disposable: 'you_voted_disposable', browser: 'you_voted_browser', 'gpg-signed': 'you_voted_gpg' } as const

/** What the voter cast, how it was signed, and until when another ballot replaces it. */
function myBallot(b: MyBallot, deadline: string): Html {
  return html`<section class="my-ballot notice" role="status"><h2>${t('questions.your_ballot')}</h2>
<p>${tHtml(`questions.${SIGNED_WITH[b.signing]}`, { choice: choiceLabel(b.choice), fingerprint: html`<code>${b.fingerprint}</code>`, at: when(b.cast_at) })}</p>
<p>${t('questions.replace_until', { deadline: when(deadline) })} ${t('questions.only_you_see')}</p></section>`
}

/** One question: open, with its ballot form (and the viewer's ballot, if cast); or closed, with the decision and every ballot. */
export function questionMain(p: { cell: Cell; item: QueueItem; viewer: Viewer; form: FormState; decision: { yes: number; no: number; abstain: number; closedAt: string; ballots: DecisionBallot[]; lineVersion: number | null } | null; mine?: MyBallot | null }): Html {
  const q = p.item.q
  if (!p.decision) return html`${crumbs(p.cell)}${questionBlock(p.cell, p.item, p.viewer, p.form, p.mine, true)}`
  const d = p.decision
  return html`${crumbs(p.cell)}${formMessage(p.form)}<article class="question decision" id="q${q.number}">${questionSummary(p.cell.slug, q, true)}
<h2>${t(`questions.decision_${q.outcome!}`)}</h2>
<p>${t('questions.tally', { yes: d.yes, no: d.no, abstain: d.abstain, eligible: q.eligible, quorum: q.quorum })} ${t('questions.closed_at', { at: when(d.closedAt) })}</p>
${q.kind === 'amend_line' && q.outcome === 'adopted'
  ? d.lineVersion !== null
    ? html`<p>${tHtml('questions.made_version', { link: linkTo(`/c/${p.cell.slug}/line`), version: String(d.lineVersion) })}</p>`
    : html`<p>${t('questions.line_unchanged')}</p>`
  : ''}
<p>${tHtml('questions.download_bundle', { link: linkTo(`/c/${p.cell.slug}/questions/${q.number}/bundle.json`, ' hx-boost="false"') })}
<code dir="ltr">npm run cellboard -- verify-tally ${p.cell.slug}-question-${q.number}.json</code>.</p>
<h3>${t('questions.ballots_heading')}</h3>
${d.ballots.length === 0 ? html`<p>${t('questions.no_ballots')}</p>` : ''}
${d.ballots.map((b) => html`<section class="ballot-signed"><p>${tHtml('questions.ballot_line', { choice: choiceLabel(b.choice), signing: signingLabel(b.signing), key: html`<a href="/k/${b.fingerprint}.asc" hx-boost="false"><code>${b.fingerprint}</code></a>` })}</p><pre>${b.signed_text}</pre></section>`)}
</article>`
}

export type RaiseProps = {
  cell: Cell & { tiers: string }
  kind: QuestionKind | null
  kinds: { kind: QuestionKind; label: string; anyone: boolean }[]
  viewer: Viewer
  form: FormState
  principles: { number: number; text: string }[]
  onRoster: boolean
  voters: number
  /** The post a question to remove it names, when the viewer may read it. */
  post: { bodyHtml: string } | null
  /** The cell's boards the viewer reads, a question may name. */
  boards: { slug: string; name: string }[]
}

/** Raise a question: first choose the kind (plain links), then its own fields (its view, question-kinds.ts). */
export function raiseMain(p: RaiseProps): Html {
  const v = (k: string) => p.form.values[k] ?? ''
  const kit: FieldKit = {
    field: (name, label, rows = 0) => html`<label for="${name}">${label}</label>
${rows ? html`<textarea id="${name}" name="${name}" rows="${rows}"${describedBy(p.form, name)}>${v(name)}</textarea>` : html`<input id="${name}" name="${name}" value="${v(name)}"${describedBy(p.form, name)}>`}${fieldError(p.form, name)}`,
    choices: (name, legend, values, labelOf) =>
      html`<fieldset><legend>${legend}</legend>${values.map((c) => html`<label class="choice"><input type="radio" name="${name}" value="${c}"${v(name) === c ? ' checked' : ''}> ${labelOf ? labelOf(c) : c}</label>`)}</fieldset>${fieldError(p.form, name)}`,
    boardSelect: (name, label) => html`<label for="${name}">${label}</label>
<select id="${name}" name="${name}"${describedBy(p.form, name)}><option value="">—</option>${p.boards.map((b) => html`<option value="${b.slug}"${v(name) === b.slug ? ' selected' : ''}>${b.name}</option>`)}</select>${fieldError(p.form, name)}`,
    tiers: parseTiers(p.cell.tiers),
    principleSelect: html`<label for="principle">${t('questions.field_principle')}</label>
<select id="principle" name="principle"${describedBy(p.form, 'principle')}>${p.principles.map((pr) => html`<option value="${pr.number}"${v('principle') === String(pr.number) ? ' selected' : ''}>${pr.number}. ${pr.text}</option>`)}</select>${fieldError(p.form, 'principle')}`,
  }
  const kinds = p.kinds.filter((k) => p.onRoster || k.anyone)
  const chosen = p.kinds.find((k) => k.kind === p.kind)
  return html`${crumbs(p.cell)}<h1>${t('questions.raise_title')}</h1>
<p>${t('questions.raise_intro')} ${t('questions.raiser_not_recorded')}</p>
<ul class="kinds">${kinds.map((k) => html`<li>${k.kind === p.kind ? html`<b>${k.label}</b>` : html`<a href="/c/${p.cell.slug}/questions/new?kind=${k.kind}">${k.label}</a>`}</li>`)}</ul>
${chosen && p.post ? html`<p>${t('questions.post_in_question')}</p>${postInQuestion(p.post.bodyHtml)}` : ''}
${chosen ? raiseBody(p, chosen, html`${KIND_VIEWS[chosen.kind].fields(kit)}${kit.field('argument', t('questions.field_argument'), 4)}`) : ''}`
}

/** This form's own address, its kind and the place it names (if any): where taking an identity comes back to. */
function raiseAddress(p: RaiseProps, kind: string): string {
  const q = new URLSearchParams({ kind })
  for (const f of ['board', 'thread', 'number']) if (p.form.values[f]) q.set(f, p.form.values[f])
  return `/c/${p.cell.slug}/questions/new?${q}`
}

/** Below the kinds: why no question of this kind can be raised here, or else its form. */
function raiseBody(p: RaiseProps, kind: RaiseProps['kinds'][number], fields: Html): Html {
  const takeIdentity = linkTo(`/identity?next=${encodeURIComponent(raiseAddress(p, kind.kind))}`)
  const cannot =
    p.voters === 0
      ? html`${t('questions.no_voters')} ${t('questions.operator_adds_voters')}`
      : !p.onRoster && !kind.anyone
        ? html`${p.viewer.identity ? t('questions.roster_only_kind') : tHtml('questions.roster_only_kind_login', { link: takeIdentity })} ${tHtml('questions.anyone_may_question', { link: linkTo(`/c/${p.cell.slug}/questions/new?kind=remove_post`) })}`
        : null
  if (cannot) return html`${formMessage(p.form)}<p class="notice">${cannot}</p>`
  if (!p.viewer.identity) return html`${formMessage(p.form)}<p>${tHtml('questions.take_identity_first', { link: takeIdentity })}</p>`
  return html`<form method="post" action="/c/${p.cell.slug}/questions">${boundFields(p.viewer)}<input type="hidden" name="kind" value="${kind.kind}">${formMessage(p.form)}
${fields}<button>${t('questions.raise_button')}</button></form>`
}

export type LogEntry = { kind: 'decision'; number: number; label: string; about: string; outcome: string; at: string } | { kind: 'operator'; action: string; at: string }

/** The cell's public decision log, newest first: decisions and operator actions. */
export function decisionsMain(p: { cell: Cell; entries: LogEntry[]; fraternal: { name: string; location: string; fingerprint: string }[] }): Html {
  return html`${crumbs(p.cell)}<h1>${t('questions.decisions_title')}</h1>
<p><a href="/c/${p.cell.slug}/questions">${t('questions.queue_title')}</a> · <a href="/c/${p.cell.slug}/line">${t('questions.nav_line')}</a></p>
<p class="feeds">${t('questions.feeds_intro')} <a href="${feedPaths.decisions(p.cell.slug)}" type="application/atom+xml" hx-boost="false">${t('questions.feed_decisions')}</a> · <a href="${feedPaths.answers(p.cell.slug)}" type="application/atom+xml" hx-boost="false">${t('questions.feed_answers')}</a></p>
<ul class="log">${p.entries.map((e) =>
    e.kind === 'decision'
      ? html`<li><a href="/c/${p.cell.slug}/questions/${e.number}">${t('questions.log_decision', { number: String(e.number) })}</a>: ${e.label} — <b>${e.outcome}</b>: <span class="about">${e.about}</span> <small><time datetime="${e.at}">${when(e.at)}</time></small></li>`
      : html`<li>${tHtml('questions.log_operator', { action: keysNamed(e.action) })} <small><time datetime="${e.at}">${when(e.at)}</time></small></li>`,
  )}</ul>
${p.fraternal.length ? html`<h2>${t('questions.fraternal_cells')}</h2><ul>${p.fraternal.map((f) => html`<li>${f.name} <code>${f.location}</code> <code class="fpr">${f.fingerprint}</code></li>`)}</ul>` : ''}`
}

/** A voter's open questions across cells (the count in the header links here). */
export function myQuestionsMain(p: { items: { cell: string; number: number; label: string; deadline: string; voted: boolean }[] }): Html {
  return html`<h1>${t('questions.my_questions_heading')}</h1>
${p.items.length === 0 ? html`<p>${t('questions.my_none')}</p>` : html`<ul>${p.items.map((i) => html`<li><a href="/c/${i.cell}/questions/${i.number}">${t('questions.my_item_link', { cell: i.cell, number: String(i.number) })}</a> — ${t('questions.my_item_closes', { label: i.label, deadline: when(i.deadline) })}${i.voted ? html` <small class="voted">${t('questions.my_item_voted')}</small>` : ''}</li>`)}</ul>`}`
}

/** An operator action's text, each fingerprint in it shown as posts show a key: its pseudonym, the whole fingerprint in its title. */
function keysNamed(action: string): Html {
  return html`${action.split(/\b([0-9A-Fa-f]{40})\b/).map((part, i) => {
    if (i % 2 === 0) return part
    const who = pseudonymOf(part)
    return html`<b>${who.handle}</b> <code class="fpr" title="${part}">${who.short}</code>`
  })}`
}
