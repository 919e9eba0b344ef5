import { SIGNING_LABEL, SIGNINGS } from '../../src/domain/posts.ts'
import { html, type Html } from '../html.ts'
import { ROUNDED_TIMES } from '../partials/time.ts'
import type { BoardHeadProps } from './board.ts'

export type ThreadHeadProps = BoardHeadProps & { thread: { number: number; title: string } }

export const threadPath = (p: ThreadHeadProps) => `/c/${p.cell.slug}/${p.board.slug}/t/${p.thread.number}`

export function threadHead(p: ThreadHeadProps): Html {
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> / <a href="/c/${p.cell.slug}/${p.board.slug}">${p.board.name}</a> /</nav>
<h1>${p.thread.title}</h1>
<details class="hint"><summary>Each post says how it was signed; its time is rounded down.</summary>
<ul>${SIGNINGS.map((s) => html`<li><i>${s}</i>: ${SIGNING_LABEL[s]}</li>`)}</ul>
<p>${ROUNDED_TIMES}.</p></details>`
}
