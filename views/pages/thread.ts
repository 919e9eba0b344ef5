import { SIGNINGS, type Signing } from '../../src/domain/posts.ts'
import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { signingName } from '../partials/post.ts'
import { roundedTimes } from '../partials/time.ts'
import type { BoardHeadProps } from './board.ts'

export type ThreadHeadProps = BoardHeadProps & { thread: { number: number; title: string } }

export const threadPath = (p: ThreadHeadProps) => `/c/${p.cell.slug}/${p.board.slug}/t/${p.thread.number}`

/** What each way of signing means, beside its name as the posts show it. */
const MEANING: Record<Signing, string> = {
  disposable: 'thread.sig_disposable_means',
  browser: 'thread.sig_browser_means',
  'gpg-signed': 'thread.sig_gpg_signed_means',
  'session-attested': 'thread.sig_session_attested_means',
}

export function threadHead(p: ThreadHeadProps): Html {
  return html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> / <a href="/c/${p.cell.slug}/${p.board.slug}">${p.board.name}</a> /</nav>
<h1>${p.thread.title}</h1>
<details class="hint"><summary>${t('thread.signings_summary')}</summary>
<ul>${SIGNINGS.map((s) => html`<li><i>${signingName(s)}</i>: ${t(MEANING[s])}</li>`)}</ul>
<p>${t('thread.rounded_times_note')}</p></details>`
}
