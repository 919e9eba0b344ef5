import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import type { Signing } from '../../src/domain/posts.ts'
import { lang, t } from '../../src/i18n/index.ts'
import { html, trustedPostHtml, type Html } from '../html.ts'
import { timeTag } from './time.ts'

const SIGNING_KEY: Record<Signing, string> = {
  disposable: 'thread.sig_disposable',
  browser: 'thread.sig_browser',
  'gpg-signed': 'thread.sig_gpg_signed',
  'session-attested': 'thread.sig_session_attested',
}

/** How a post was signed, in a word or two ("gpg-signed", "session-attested"), as the page's language says it. */
export const signingName = (s: Signing): string => t(SIGNING_KEY[s])

/** replies: the numbers of the later posts that quote this one (>>N), in order. */
export type PostProps = { number: number; signing: Signing; bodyHtml: string; createdAt: string; fingerprint: string; signed: boolean; replies?: readonly number[] }

/**
 * What a thread page adds around each post: `raise`, the raise form's address for a question
 * about a post of this thread (the post's number is added); `lastOnPage`, the last post number
 * the page shows, so a reply on it is linked in the page and a later one through its address.
 */
export type PostLinks = { raise?: string; lastOnPage?: number }

/** The words every post says, in one language: looked up once per language, not five times a post. */
type Words = { signing: Record<Signing, string>; signedText: string; key: string; questionPost: string; replies: string }
const wordsIn = new Map<string, Words>()
function words(): Words {
  const l = lang()
  let w = wordsIn.get(l)
  if (!w) {
    const signing = Object.fromEntries(Object.keys(SIGNING_KEY).map((s) => [s, signingName(s as Signing)])) as Record<Signing, string>
    wordsIn.set(l, (w = { signing, signedText: t('thread.signed_text'), key: t('thread.key'), questionPost: t('thread.question_post'), replies: t('thread.replies') }))
  }
  return w
}

/** A reply's link: in the page when the page shows it, else through its address. */
const replyHref = (n: number, threadPath: string, lastOnPage: number | undefined) => (lastOnPage !== undefined && n <= lastOnPage ? `#p${n}` : `${threadPath}/p/${n}`)

/**
 * One post. The same markup serves the thread page and the htmx reply fragment. It is the same
 * for every viewer (it is cached): data-key names the key that signed it, and the stylesheet of
 * the viewer's own session (/identity/own-posts.css) marks their posts by it, after the pseudonym.
 * Every byte here is paid 200 times on a long thread's page (issue 15: ≤ 6 KB gzipped), so the
 * mark has no element of its own and the rounded time's reason is said once, above the posts.
 */
export function postArticle(p: PostProps, threadPath: string, links: PostLinks = {}): Html {
  const who = pseudonymOf(p.fingerprint)
  const w = words()
  const replies = p.replies ?? []
  return html`<article id="p${p.number}" class="post" data-key="${p.fingerprint}"><header><a href="#p${p.number}">#${p.number}</a> <b>${who.handle}</b> <code>${who.short}</code> ${timeTag(p.createdAt)} <i class="sig">${w.signing[p.signing]}</i>${p.signed ? html` <a href="${threadPath}/p/${p.number}.asc">${w.signedText}</a>` : ''} <a href="/k/${p.fingerprint}.asc">${w.key}</a>${links.raise ? html` <a href="${links.raise}&amp;number=${p.number}">${w.questionPost}</a>` : ''}</header>
${trustedPostHtml(p.bodyHtml)}${replies.length ? html`<footer class="replies"><p>${w.replies} ${replies.map((n, i) => html`${i ? ' ' : ''}<a class="ref" href="${replyHref(n, threadPath, links.lastOnPage)}">&gt;&gt;${n}</a>`)}</p></footer>` : ''}</article>
`
}
