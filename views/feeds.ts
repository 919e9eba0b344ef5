import { Feed } from 'feed'
import type { FeedProps } from '../src/domain/feeds.ts'
import { html } from './html.ts'

// Atom feeds, as the `feed` library writes them. A feed is a view like a page: a pure function of
// typed props, the same for every reader it is shown to (nothing about who asks goes in). Paths
// come in site-relative; the library wants absolute links, made here from the configured public
// address (PUBLIC_URL). Times are the stored coarse ones, never the time of the request.

/** Characters XML 1.0 cannot carry at all (checked text refuses most already; a lone surrogate is the rest). */
const NOT_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu
const xmlSafe = (s: string) => s.replace(NOT_XML, '\uFFFD')

/** The library puts HTML in CDATA sections; "]]>" would end one early. Escaped, HTML reads the same. */
const cdataSafe = (s: string) => xmlSafe(s).replaceAll(']]>', ']]&gt;')

/** Site-relative links in a post (>>N references) made absolute: a feed reader has no page to resolve them against. */
const absoluteLinks = (base: string, stored: string) => stored.replace(/ href="\//g, ` href="${base}/`)

export function atomFeed(base: string, p: FeedProps): string {
  const feed = new Feed({
    id: p.id,
    title: xmlSafe(p.title),
    updated: new Date(p.updated),
    link: base + p.path,
    feed: base + p.self,
    author: { name: xmlSafe(p.author) },
    // The library's default names itself with a link to another host: nothing here needs it.
    generator: false,
  })
  for (const e of p.entries) {
    const content = 'trustedHtml' in e.content ? absoluteLinks(base, e.content.trustedHtml) : html`<p>${e.content.text}</p>`.toString()
    feed.addItem({
      id: e.id,
      title: cdataSafe(html`${e.title}`.toString()),
      link: base + e.path,
      date: new Date(e.updated),
      content: cdataSafe(content),
      ...(e.author ? { author: [{ name: xmlSafe(e.author) }] } : {}),
    })
  }
  return feed.atom1()
}
