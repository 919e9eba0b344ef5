import { describe, expect, it } from 'vitest'
import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import type { Signing } from '../../src/domain/posts.ts'
import { inLang, LANGS, t } from '../../src/i18n/index.ts'
import { escapeText, html, trustedPostHtml, type Html } from '../../views/html.ts'
import { postArticle, signingName, type PostLinks, type PostProps } from '../../views/partials/post.ts'
import { timeTag } from '../../views/partials/time.ts'
import { seededRandom } from '../support/random.ts'

// views/partials/post.ts builds a post's markup as one string, for speed (issue 15). Here is the
// template it replaced, word for word: the two must make the same bytes, escaping included.
function asTemplate(p: PostProps, threadPath: string, links: PostLinks = {}): Html {
  const who = pseudonymOf(p.fingerprint)
  const replies = p.replies ?? []
  const href = (n: number) => (links.lastOnPage !== undefined && n <= links.lastOnPage ? `#p${n}` : `${threadPath}/p/${n}`)
  return html`<article id="p${p.number}" class="post" data-key="${p.fingerprint}"><header><a href="#p${p.number}">#${p.number}</a> <b>${who.handle}</b> <code>${who.short}</code> ${timeTag(p.createdAt)} <i class="sig">${signingName(p.signing)}</i>${p.signed ? html` <a href="${threadPath}/p/${p.number}.asc">${t('thread.signed_text')}</a>` : ''} <a href="/k/${p.fingerprint}.asc">${t('thread.key')}</a>${links.raise ? html` <a href="${links.raise}&amp;number=${p.number}">${t('thread.question_post')}</a>` : ''}</header>
${trustedPostHtml(p.bodyHtml)}${replies.length ? html`<footer class="replies"><p>${t('thread.replies')} ${replies.map((n, i) => html`${i ? ' ' : ''}<a class="ref" href="${href(n)}">&gt;&gt;${n}</a>`)}</p></footer>` : ''}</article>
`
}

const SIGNINGS: Signing[] = ['disposable', 'browser', 'gpg-signed', 'session-attested']

describe('a post as one string', () => {
  it('makes the bytes the template made, in every language, with every value that needs escaping', () => {
    const rand = seededRandom(20261205)
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!
    const hex = (n: number) => Array.from({ length: n }, () => pick('0123456789abcdef'.split(''))).join('')
    let compared = 0
    for (const l of LANGS) {
      inLang(l, () => {
        for (let i = 0; i < 200; i++) {
          const p: PostProps = {
            number: 1 + Math.floor(rand() * 500),
            signing: pick(SIGNINGS),
            bodyHtml: pick(['<p>plain</p>', '<p>a &amp; b &lt;c&gt; "q" \'s\'</p>', '<p>مرحبا — ñ</p>\n<pre><code>x &lt; 1</code></pre>']),
            createdAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 400) * 3_600_000).toISOString(),
            fingerprint: pick([hex(40), hex(64), hex(40).toUpperCase()]),
            signed: rand() < 0.5,
            replies: rand() < 0.5 ? [] : Array.from({ length: 1 + Math.floor(rand() * 4) }, () => 1 + Math.floor(rand() * 600)),
          }
          const path = pick(['/c/lobby/general/t/7', '/c/a"b/<x>/t/1', "/c/o'k/&/t/2"])
          const links: PostLinks = pick([{}, { raise: `/c/lobby/questions/new?kind=remove_post&board=b"<>'&thread=7` }, { raise: '/c/x/questions/new?kind=remove_post&board=y&thread=1', lastOnPage: 300 }, { lastOnPage: 0 }])
          const made = postArticle(p, path, links).toString()
          expect(made).toBe(asTemplate(p, path, links).toString())
          compared++
        }
      })
    }
    expect(compared).toBe(600)
    // And escaping is there to be compared: a value with markup in it comes out as text.
    const shown = postArticle({ number: 1, signing: 'disposable', bodyHtml: '<p>x</p>', createdAt: '2025-01-01T00:00:00.000Z', fingerprint: 'a'.repeat(40), signed: true }, '/c/a"><script>/t/1').toString()
    expect(shown).toContain('href="/c/a&quot;&gt;&lt;script&gt;/t/1/p/1.asc"')
    expect(shown).not.toContain('<script>')
  })

  it('escapes a text as the template escapes a value', () => {
    const rand = seededRandom(7)
    const chars = ['&', '<', '>', '"', "'", 'a', ' ', 'é', '⟦', '\n', '&amp;']
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: Math.floor(rand() * 12) }, () => chars[Math.floor(rand() * chars.length)]!).join('')
      expect(escapeText(text)).toBe(html`${text}`.toString())
    }
    expect(escapeText(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  })
})
