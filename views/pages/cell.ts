import { t, when } from '../../src/i18n/index.ts'
import { feedPaths } from '../../src/domain/feeds.ts'
import { html, type Html } from '../html.ts'
import { readersTag } from './board.ts'
import { cellKeyLine } from './letters.ts'
import { searchForm } from '../partials/search-form.ts'

export type CellPageProps = {
  cell: { slug: string; name: string }
  line: { version: number; principles: { number: number; text: string }[] }
  boards: { slug: string; name: string; description: string; readers: string | null; retention_days: number | null }[]
  /** The cell key's fingerprint; null: the cell takes no letters. */
  keyFingerprint: string | null
  /** Since when the cell key ought to be rotated (a key left the roster); null: it need not be. */
  keyRotationDue: string | null
  /** How many letters wait: only for a viewer who reads the inbox (null for anyone else). */
  lettersWaiting: number | null
  /** The cell's tiers, lowest first, and the least that vote and read letters. */
  tiers: { names: string[]; vote: string; inbox: string }
  /** In a static archive: no form that needs the server (search). */
  offline?: boolean
}

export function cellMain(p: CellPageProps): Html {
  return html`<h1>${p.cell.name}</h1>
<p><a href="/c/${p.cell.slug}/questions">${t('cell.questions_link')}</a> · <a href="/c/${p.cell.slug}/decisions">${t('cell.decisions_link')}</a> · <a href="/c/${p.cell.slug}/line">${t('cell.line_link')}</a></p>
<p class="feeds">${t('cell.feeds_label')} <a href="${feedPaths.decisions(p.cell.slug)}" type="application/atom+xml" hx-boost="false">${t('cell.feed_decisions')}</a> · <a href="${feedPaths.answers(p.cell.slug)}" type="application/atom+xml" hx-boost="false">${t('cell.feed_answers')}</a>${t('cell.feeds_each_board')}</p>
${p.offline ? '' : searchForm({ action: `/c/${p.cell.slug}/search`, label: t('cell.search_label', { cell: p.cell.name }), id: 'cell-q' })}
${p.keyFingerprint ? html`<section class="letters"><h2>${t('cell.letters_heading')}</h2>${p.keyRotationDue ? keyRotationNotice(p.cell.slug, p.keyRotationDue) : ''}${cellKeyLine(p.cell, p.keyFingerprint)}
<p><a href="/c/${p.cell.slug}/key-transitions">${t('cell.key_transitions_link')}</a></p>
<p><a href="/c/${p.cell.slug}/letters/new">${t('cell.write_letter_link')}</a> ${t('cell.write_letter_note')}</p>
${p.lettersWaiting !== null ? html`<p><a href="/c/${p.cell.slug}/letters">${t('cell.letters_waiting', { count: p.lettersWaiting })}</a></p>` : ''}</section>` : ''}
<section class="line"><h2>${t('cell.line_heading')} <small>${t('cell.line_version', { version: p.line.version })}</small></h2>
${p.line.principles.length === 0 ? html`<p>${t('cell.line_empty')}</p>` : html`<ol>${p.line.principles.map((pr) => html`<li value="${pr.number}">${pr.text}</li>`)}</ol>`}
</section>
<section><h2>${t('cell.boards_heading')}</h2>
<p class="hint">${p.keyFingerprint ? t('cell.tiers_hint_inbox', { tiers: p.tiers.names.join(' < '), vote: p.tiers.vote, inbox: p.tiers.inbox }) : t('cell.tiers_hint', { tiers: p.tiers.names.join(' < '), vote: p.tiers.vote })}</p><ul class="boards">${p.boards.map(
    (b) => html`<li><a href="/c/${p.cell.slug}/${b.slug}">${b.name}</a>${readersTag(b.readers)}${b.retention_days ? html` <span class="tag">${t('cell.board_kept', { days: b.retention_days })}</span>` : ''}${b.description ? html`<br><small>${b.description}</small>` : ''}</li>`,
  )}</ul></section>`
}

/**
 * A key left the roster while the cell had a key, whose private key its holder may have: shown
 * until the operator rotates the cell key. Writers see it too, since it concerns who may read them.
 */
function keyRotationNotice(cell: string, since: string): Html {
  return html`<div class="notice key-rotation-due" role="status"><p><b>${t('cell.rotation_title')}</b> ${t('cell.rotation_why', { since: when(since) })}</p>
<p>${t('cell.rotation_operator')}
<code>npm run cellboard -- cell key rotate ${cell} --new FILE --statement FILE</code> ${t('cell.rotation_operator_readme')}</p></div>`
}
