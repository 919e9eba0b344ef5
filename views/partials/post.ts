import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import type { Signing } from '../../src/domain/posts.ts'
import { lang, t } from '../../src/i18n/index.ts'
import { built, escapeText, html, trustedPostHtml, type Html } from '../html.ts'
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

/** The words every post says, in one language, escaped for markup: looked up and escaped once per language, not five times a post. */
type Words = { signing: Record<Signing, string>; signedText: string; key: string; questionPost: string; replies: string }
const wordsIn = new Map<string, Words>()
function words(): Words {
  const l = lang()
  let w = wordsIn.get(l)
  if (!w) {
    const signing = Object.fromEntries(Object.keys(SIGNING_KEY).map((s) => [s, escapeText(signingName(s as Signing))])) as Record<Signing, string>
    const said = (key: string) => escapeText(t(key))
    wordsIn.set(l, (w = { signing, signedText: said('thread.signed_text'), key: said('thread.key'), questionPost: said('thread.question_post'), replies: said('thread.replies') }))
  }
  return w
}

/** Where a thread's removed posts were (numbers it gave and no longer has): said, not a silent gap. */
const removedGap = (from: number, to: number): Html => html`<p class="hint">${t('thread.posts_removed', { from, to, count: to - from + 1 })}</p>`

/**
 * A page's posts in number order, each run of removed numbers between them said where it was.
 * `before`: the number of the post before the page's first (0 on page 1); `last`: on the
 * thread's last page, the last number it gave (thread.last_number), so a run of its latest posts
 * removed is said after the last one left.
 */
export function postsWithGaps<P extends { number: number }>(posts: P[], before: number, article: (p: P) => Html, last?: number): Html[] {
  const out: Html[] = []
  for (const p of posts) {
    if (p.number > before + 1) out.push(removedGap(before + 1, p.number - 1))
    out.push(article(p))
    before = p.number
  }
  if (last !== undefined && posts.length > 0 && last > before) out.push(removedGap(before + 1, last))
  return out
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
  // One string, every value escaped by escapeText (the words once per language, in words()), rather than nested `html` templates: a thread
  // page built afresh renders 50 to 200 of these, and the templates' arrays, String objects and
  // concatenations were 45 % of what such a page allocated at 1,000,000 posts (a sampling heap
  // profile, issue 15); with this, 332 KB a page against 411 (BENCHMARKS.md). The same bytes as the
  // template made (tests/unit/post-article.test.ts compares them).
  const who = pseudonymOf(p.fingerprint)
  const w = words()
  const n = p.number
  const key = escapeText(p.fingerprint)
  let s = `<article id="p${n}" class="post" data-key="${key}"><header><a href="#p${n}">#${n}</a> <b>${escapeText(who.handle)}</b> <code>${escapeText(who.short)}</code> ${timeTag(p.createdAt)} <i class="sig">${w.signing[p.signing]}</i>`
  if (p.signed) s += ` <a href="${escapeText(threadPath)}/p/${n}.asc">${w.signedText}</a>`
  s += ` <a href="/k/${key}.asc">${w.key}</a>`
  if (links.raise) s += ` <a href="${escapeText(links.raise)}&amp;number=${n}">${w.questionPost}</a>`
  s += `</header>\n${trustedPostHtml(p.bodyHtml)}`
  const replies = p.replies ?? []
  if (replies.length) {
    s += `<footer class="replies"><p>${w.replies} `
    for (const [i, r] of replies.entries()) s += `${i ? ' ' : ''}<a class="ref" href="${escapeText(replyHref(r, threadPath, links.lastOnPage))}">&gt;&gt;${r}</a>`
    s += '</p></footer>'
  }
  return built(`${s}</article>\n`)
}
