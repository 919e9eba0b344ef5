import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import type { Signing } from '../../src/domain/posts.ts'
import { showTime } from '../../src/domain/time.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'

export type PostProps = { number: number; signing: Signing; bodyHtml: string; createdAt: string; fingerprint: string; signed: boolean }

/** One post. The same markup serves the thread page and the htmx reply fragment. */
export function postArticle(p: PostProps, threadPath: string): Html {
  const who = pseudonymOf(p.fingerprint)
  return html`<article id="p${p.number}" class="post"><header><a href="#p${p.number}">#${p.number}</a> <b>${who.handle}</b> <code>${who.short}</code> <time>${showTime(p.createdAt)}</time> <i class="sig">${p.signing}</i>${p.signed ? html` <a href="${threadPath}/p/${p.number}.asc">signed text</a>` : ''} <a href="/k/${p.fingerprint}.asc">key</a></header>
${trustedPostHtml(p.bodyHtml)}</article>
`
}
