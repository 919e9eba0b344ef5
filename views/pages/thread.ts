import { html, type Html } from '../html.ts'
import { sentence } from '../partials/forms.ts'
import { signingName } from '../partials/post.ts'
import type { BoardHeadProps } from './board.ts'

export type ThreadHeadProps = BoardHeadProps & { thread: { number: number; title: string } }

export const threadPath = (p: ThreadHeadProps) => `/c/${p.cell.slug}/${p.board.slug}/t/${p.thread.number}`

export function threadHead(p: ThreadHeadProps): Html {
  // One sentence, each way of signing named as the posts name it (in italics), then said in full.
  const named = (s: Parameters<typeof signingName>[0]) => html`<i>${signingName(s)}</i>`
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> / <a href="/c/${p.cell.slug}/${p.board.slug}">${p.board.name}</a> /</nav>
<h1>${p.thread.title}</h1>
<p class="hint">${sentence('thread.signings_hint', { disposable: named('disposable'), browser: named('browser'), gpg: named('gpg-signed'), attested: named('session-attested') })}</p>`
}
