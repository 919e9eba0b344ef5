import { parseTiers } from '../../src/domain/tiers.ts'
import type { QuestionKind } from '../../src/services/questions/kinds.ts'
import { feedPaths } from '../../src/domain/feeds.ts'
import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import { showTime } from '../../src/domain/time.ts'
import { html, type Html } from '../html.ts'
import { ballotForm, type BallotPlace } from '../partials/ballot-form.ts'
import { boundFields, describedBy, fieldError, formMessage, type FormState } from '../partials/forms.ts'
import { questionSummary, type QuestionView } from '../partials/question.ts'
import { KIND_VIEWS, type FieldKit } from '../partials/question-kinds.ts'
import type { Viewer } from '../viewer.ts'

type Cell = { slug: string; name: string }
export type QueueItem = { q: QuestionView; ballots: number; canVote: boolean; place: BallotPlace }

const crumbs = (cell: Cell) => html`<nav class="crumbs"><a href="/c/${cell.slug}">${cell.name}</a> /</nav>`

/** The voters' queue: open questions, what each is about, how many ballots so far, and the form. */
export function queueMain(p: { cell: Cell; items: QueueItem[]; viewer: Viewer }): Html {
  return html`${crumbs(p.cell)}<h1>Open questions</h1>
<p><a href="/c/${p.cell.slug}/questions/new">Raise a line question</a> · <a href="/c/${p.cell.slug}/decisions">Decisions</a> · <a href="/c/${p.cell.slug}/line">The line</a></p>
${p.items.length === 0 ? html`<p>No question is open.</p>` : ''}
${p.items.map((i) => questionBlock(p.cell, i, p.viewer, { values: {}, errors: {} }))}`
}

/** mine: the viewer's ballot, shown under the question's heading and chosen already in the form that replaces it. */
function questionBlock(cell: Cell, i: QueueItem, viewer: Viewer, form: FormState, mine?: MyBallot | null): Html {
  const f = mine && form.values.choice === undefined ? { ...form, values: { ...form.values, choice: mine.choice } } : form
  return html`<article class="question" id="q${i.q.number}">${questionSummary(cell.slug, i.q)}
<p class="ballot-count"><b>${i.ballots}</b> of ${i.q.eligible} ballots cast so far. Choices are published when the question closes.</p>
${mine ? myBallot(mine, i.q.deadline) : ''}${i.canVote ? ballotForm({ viewer, place: i.place, form: f, action: `/c/${cell.slug}/questions/${i.q.number}/ballot` }) : formMessage(form)}</article>`
}

export type DecisionBallot = { fingerprint: string; choice: string; signing: string; signed_text: string }

/** The viewer's own ballot on an open question: shown to them alone, on a page never cached. */
export type MyBallot = { choice: string; signing: 'disposable' | 'browser' | 'gpg-signed'; cast_at: string; fingerprint: string }

const SIGNED_WITH = { disposable: 'signed on the server by your disposable key', browser: 'signed by your browser key', 'gpg-signed': 'clearsigned with your GnuPG key' } as const

/** What the voter cast, how it was signed, and until when another ballot replaces it. */
function myBallot(b: MyBallot, deadline: string): Html {
  return html`<section class="my-ballot notice" role="status"><h2>Your ballot</h2>
<p>You voted <b>${b.choice}</b>, ${SIGNED_WITH[b.signing]} <code>${b.fingerprint}</code>, cast ${showTime(b.cast_at)}.</p>
<p>You may replace it by casting another ballot below until the question closes: by ${showTime(deadline)} at the latest, or earlier if the ballots cast settle it. Until then only you see your choice here; it is published with the decision.</p></section>`
}

/** One question: open, with its ballot form (and the viewer's ballot, if cast); or closed, with the decision and every ballot. */
export function questionMain(p: { cell: Cell; item: QueueItem; viewer: Viewer; form: FormState; decision: { yes: number; no: number; abstain: number; closedAt: string; ballots: DecisionBallot[]; lineVersion: number | null } | null; mine?: MyBallot | null }): Html {
  const q = p.item.q
  if (!p.decision) return html`${crumbs(p.cell)}${questionBlock(p.cell, p.item, p.viewer, p.form, p.mine)}`
  const d = p.decision
  const outcome = { adopted: 'Adopted', rejected: 'Rejected', no_quorum: 'No quorum: not adopted' }[q.outcome!]
  return html`${crumbs(p.cell)}${formMessage(p.form)}<article class="question decision" id="q${q.number}">${questionSummary(p.cell.slug, q)}
<h2>Decision: ${outcome}</h2>
<p>Yes ${d.yes}, no ${d.no}, abstain ${d.abstain}, of ${q.eligible} eligible voters (quorum ${q.quorum}). Closed ${showTime(d.closedAt)}.</p>
${q.kind === 'amend_line' && q.outcome === 'adopted'
  ? d.lineVersion !== null
    ? html`<p>It made <a href="/c/${p.cell.slug}/line">version ${d.lineVersion} of the line</a>.</p>`
    : html`<p>The principle it named had already been changed by an earlier decision, so the line was left as it was.</p>`
  : ''}
<p><a href="/c/${p.cell.slug}/questions/${q.number}/bundle.json" hx-boost="false">Download the tally bundle</a> (ballots, voters’ public keys, the eligible roster) and recheck it offline:
<code>npm run cellboard -- verify-tally ${p.cell.slug}-question-${q.number}.json</code>.</p>
<h3>Ballots</h3>
${d.ballots.length === 0 ? html`<p>No ballots were cast.</p>` : ''}
${d.ballots.map((b) => html`<section class="ballot-signed"><p><b>${b.choice}</b>, ${b.signing}, key <a href="/k/${b.fingerprint}.asc" hx-boost="false"><code>${b.fingerprint}</code></a></p><pre>${b.signed_text}</pre></section>`)}
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
}

/** Raise a question: first choose the kind (plain links), then its own fields (its view, question-kinds.ts). */
export function raiseMain(p: RaiseProps): Html {
  const v = (k: string) => p.form.values[k] ?? ''
  const kit: FieldKit = {
    field: (name, label, rows = 0) => html`<label for="${name}">${label}</label>
${rows ? html`<textarea id="${name}" name="${name}" rows="${rows}"${describedBy(p.form, name)}>${v(name)}</textarea>` : html`<input id="${name}" name="${name}" value="${v(name)}"${describedBy(p.form, name)}>`}${fieldError(p.form, name)}`,
    choices: (name, legend, values) =>
      html`<fieldset><legend>${legend}</legend>${values.map((c) => html`<label class="choice"><input type="radio" name="${name}" value="${c}"${v(name) === c ? ' checked' : ''}> ${c}</label>`)}</fieldset>${fieldError(p.form, name)}`,
    tiers: parseTiers(p.cell.tiers),
    principleSelect: html`<label for="principle">Principle</label>
<select id="principle" name="principle"${describedBy(p.form, 'principle')}>${p.principles.map((pr) => html`<option value="${pr.number}"${v('principle') === String(pr.number) ? ' selected' : ''}>${pr.number}. ${pr.text}</option>`)}</select>${fieldError(p.form, 'principle')}`,
  }
  const kinds = p.kinds.filter((k) => p.onRoster || k.anyone)
  const chosen = p.kinds.find((k) => k.kind === p.kind)
  return html`${crumbs(p.cell)}<h1>Raise a line question</h1>
<p>Moderation here is a question about the line, decided by the cell’s voters with signed ballots. Who raises a question is not recorded.</p>
<ul class="kinds">${kinds.map((k) => html`<li>${k.kind === p.kind ? html`<b>${k.label}</b>` : html`<a href="/c/${p.cell.slug}/questions/new?kind=${k.kind}">${k.label}</a>`}</li>`)}</ul>
${chosen ? raiseBody(p, chosen, html`${KIND_VIEWS[chosen.kind].fields(kit)}${kit.field('argument', 'Your argument, briefly', 4)}`) : ''}`
}

/** Below the kinds: why no question of this kind can be raised here, or else its form. */
function raiseBody(p: RaiseProps, kind: RaiseProps['kinds'][number], fields: Html): Html {
  const cannot =
    p.voters === 0
      ? html`This cell has no voters on its roster yet, so nobody could decide a question. The operator adds the first voters; after that the roster changes by questions.`
      : !p.onRoster && !kind.anyone
        ? html`Only keys on this cell’s roster may raise this kind of question${p.viewer.identity ? '' : html` (<a href="/identity">log in</a> with one)`}. Anyone may <a href="/c/${p.cell.slug}/questions/new?kind=remove_post">question a post under the line</a>.`
        : null
  if (cannot) return html`${formMessage(p.form)}<p class="notice">${cannot}</p>`
  if (!p.viewer.identity) return html`${formMessage(p.form)}<p>To raise a question, <a href="/identity">take an identity</a> first.</p>`
  return html`<form method="post" action="/c/${p.cell.slug}/questions">${boundFields(p.viewer)}<input type="hidden" name="kind" value="${kind.kind}">${formMessage(p.form)}
${fields}<button>Raise the question</button></form>`
}

export type LogEntry = { kind: 'decision'; number: number; label: string; about: string; outcome: string; at: string } | { kind: 'operator'; action: string; at: string }

/** The cell's public decision log, newest first: decisions and operator actions. */
export function decisionsMain(p: { cell: Cell; entries: LogEntry[]; fraternal: { name: string; location: string; fingerprint: string }[] }): Html {
  return html`${crumbs(p.cell)}<h1>Decisions</h1>
<p><a href="/c/${p.cell.slug}/questions">Open questions</a> · <a href="/c/${p.cell.slug}/line">The line</a></p>
<p class="feeds">Follow it (Atom feeds): <a href="${feedPaths.decisions(p.cell.slug)}" type="application/atom+xml" hx-boost="false">decisions</a> · <a href="${feedPaths.answers(p.cell.slug)}" type="application/atom+xml" hx-boost="false">answers to letters</a></p>
<ol class="log" reversed>${p.entries.map((e) =>
    e.kind === 'decision'
      ? html`<li><a href="/c/${p.cell.slug}/questions/${e.number}">Decision ${e.number}</a>: ${e.label} — <b>${e.outcome}</b>: <span class="about">${e.about}</span> <small>${showTime(e.at)}</small></li>`
      : html`<li>Operator action: ${keysNamed(e.action)} <small>${showTime(e.at)}</small></li>`,
  )}</ol>
${p.fraternal.length ? html`<h2>Fraternal cells</h2><ul>${p.fraternal.map((f) => html`<li>${f.name} <code>${f.location}</code> <code class="fpr">${f.fingerprint}</code></li>`)}</ul>` : ''}`
}

/** A voter's open questions across cells (the count in the header links here). */
export function myQuestionsMain(p: { items: { cell: string; number: number; label: string; deadline: string; voted: boolean }[] }): Html {
  return html`<h1>Open questions for you</h1>
${p.items.length === 0 ? html`<p>None.</p>` : html`<ul>${p.items.map((i) => html`<li><a href="/c/${i.cell}/questions/${i.number}">${i.cell}: question ${i.number}</a> — ${i.label}, closes by ${showTime(i.deadline)}${i.voted ? html` <small class="voted">(your ballot is cast; you may replace it until then)</small>` : ''}</li>`)}</ul>`}`
}

/** An operator action's text, each fingerprint in it shown as posts show a key: its pseudonym, the whole fingerprint in its title. */
function keysNamed(action: string): Html {
  return html`${action.split(/\b([0-9A-Fa-f]{40})\b/).map((part, i) => {
    if (i % 2 === 0) return part
    const who = pseudonymOf(part)
    return html`<b>${who.handle}</b> <code class="fpr" title="${part}">${who.short}</code>`
  })}`
}
