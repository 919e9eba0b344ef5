import { showTime } from '../../src/domain/time.ts'
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
<p><a href="/c/${p.cell.slug}/questions">Open questions</a> · <a href="/c/${p.cell.slug}/decisions">Decisions</a> · <a href="/c/${p.cell.slug}/line">The line and its history</a></p>
<p class="feeds">Follow it (Atom feeds): <a href="${feedPaths.decisions(p.cell.slug)}" type="application/atom+xml" hx-boost="false">decisions</a> · <a href="${feedPaths.answers(p.cell.slug)}" type="application/atom+xml" hx-boost="false">answers to letters</a>; each board has its own, linked from its page.</p>
${p.offline ? '' : searchForm({ action: `/c/${p.cell.slug}/search`, label: `Search ${p.cell.name}`, id: 'cell-q' })}
${p.keyFingerprint ? html`<section class="letters"><h2>Letters</h2>${p.keyRotationDue ? keyRotationNotice(p.cell.slug, p.keyRotationDue) : ''}${cellKeyLine(p.cell, p.keyFingerprint)}
<p><a href="/c/${p.cell.slug}/key-transitions">Earlier keys and the statements that replaced them</a></p>
<p><a href="/c/${p.cell.slug}/letters/new">Write a letter to this cell</a> (no identity needed; encrypted so only the cell can read it).</p>
${p.lettersWaiting !== null ? html`<p><a href="/c/${p.cell.slug}/letters">${p.lettersWaiting} letter${p.lettersWaiting === 1 ? '' : 's'} waiting</a></p>` : ''}</section>` : ''}
<section class="line"><h2>The line <small>(version ${p.line.version})</small></h2>
${p.line.principles.length === 0 ? html`<p>This cell has not stated its line yet.</p>` : html`<ol>${p.line.principles.map((pr) => html`<li value="${pr.number}">${pr.text}</li>`)}</ol>`}
</section>
<section><h2>Boards</h2>
<p class="hint">Tiers of this cell, lowest first: ${p.tiers.names.join(' < ')}. Keys from ${p.tiers.vote} up vote on line questions${p.keyFingerprint ? html`; from ${p.tiers.inbox} up, they read the letters` : ''}.</p><ul class="boards">${p.boards.map(
    (b) => html`<li><a href="/c/${p.cell.slug}/${b.slug}">${b.name}</a>${readersTag(b.readers)}${b.retention_days ? html` <span class="tag">kept ${b.retention_days} days</span>` : ''}${b.description ? html`<br><small>${b.description}</small>` : ''}</li>`,
  )}</ul></section>`
}

/**
 * A key left the roster while the cell had a key, whose private key its holder may have: shown
 * until the operator rotates the cell key. Writers see it too, since it concerns who may read them.
 */
function keyRotationNotice(cell: string, since: string): Html {
  return html`<div class="notice key-rotation-due" role="status"><p><b>The cell key should be rotated.</b> A key has left the cell’s
roster, or the tier that reads its letters (${showTime(since)}), and whoever held it may still have the cell key’s private key. Until a new key is published here, a
letter to the cell may be readable by someone who is no longer in it.</p>
<p>Operator: make a new key, clearsign a statement naming its fingerprint with the current key, and run
<code>npm run cellboard -- cell key rotate ${cell} --new FILE --statement FILE</code> (README, “Letters”).</p></div>`
}
