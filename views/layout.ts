import { feedPaths } from '../src/domain/feeds.ts'
import { html, type Html } from './html.ts'
import type { Viewer } from './viewer.ts'

// htmx settings: no page snapshots in sessionStorage (pages can hold sensitive text), no eval,
// no inline indicator styles (the CSP allows none), and error pages are swapped in like others.
const HTMX_CONFIG = JSON.stringify({
  historyCacheSize: 0,
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  // Not 'style': a reply box resized by hand carries an inline style, and settling would copy it
  // onto the fresh form, which the CSP (style-src 'self') refuses with a console error.
  attributesToSettle: ['class', 'width', 'height'],
  responseHandling: [
    { code: '204', swap: false },
    { code: '[2345]..', swap: true },
  ],
})

/** An Atom feed the page is the reading of: its head names it, for a browser or feed reader to find. */
export type FeedLink = { title: string; href: string }
/** The feeds a cell's own pages (the cell, its decisions) are the reading of. */
export const cellFeeds = (cell: { slug: string; name: string }): FeedLink[] => [
  { title: `Decisions · ${cell.name}`, href: feedPaths.decisions(cell.slug) },
  { title: `Answers to letters · ${cell.name}`, href: feedPaths.answers(cell.slug) },
]
export const boardFeeds = (cell: { slug: string; name: string }, board: { slug: string; name: string }): FeedLink[] => [{ title: `${board.name} · ${cell.name}`, href: feedPaths.board(cell.slug, board.slug) }]
/** `indexable`: the page may be indexed (a board that asks to be, and its threads); every other page says noindex. */
export type LayoutProps = { title: string; viewer: Viewer; feeds?: FeedLink[]; indexable?: boolean }

function identityBar(v: Viewer): Html {
  const id = v.identity
  if (!id) return html`<a href="/identity">Take an identity</a>`
  // Burning is on the identity page only: one stray click in the header would end it for good.
  const questions = v.openQuestions > 0 ? html`<a href="/questions" class="open-questions" title="Open questions waiting for your ballot">${v.openQuestions} open question${v.openQuestions === 1 ? '' : 's'}</a> ` : ''
  return html`${questions}<a href="/identity" title="${id.fingerprint}">${id.pseudonym.handle} <code>${id.pseudonym.short}</code></a>`
}

// In the header, the spaces between its parts and the <div> around its nav are for text browsers:
// lynx and w3m end no line at a <nav>, so its last word ran into the page's first ("Take an
// identityLobby"). In a browser with CSS, the header is a flex row and neither shows.

/**
 * The page around its main content, in two halves so a cached body can sit between them. With a
 * session, the stylesheet that marks the viewer's own posts: in the body, so a boosted burn or
 * new identity (htmx swaps the body, not the head) drops or replaces it with the page.
 */
export function layoutParts(p: LayoutProps): { head: string; foot: string } {
  const head = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · cellboard</title>
${p.indexable ? '' : html`<meta name="robots" content="noindex">
`}<meta name="htmx-config" content="${HTMX_CONFIG}">
${(p.feeds ?? []).map((f) => html`<link rel="alternate" type="application/atom+xml" title="${f.title}" href="${f.href}">
`)}<link rel="stylesheet" href="/static/style.css"><script src="/static/htmx.min.js" defer></script><script src="/static/browser-key.js" type="module"></script><script src="/static/pow.js" type="module"></script><script src="/static/letter.js" type="module"></script>
</head><body hx-boost="true">
${p.viewer.identity ? html`<link rel="stylesheet" href="/identity/own-posts.css">
` : ''}<header class="top"><a href="/" class="home">cellboard</a> <form action="/search" method="get" role="search" class="search-top"><input type="search" name="q" aria-label="Search every cell" placeholder="Search" maxlength="200"> <button type="submit">Search</button></form> <div><nav>${identityBar(p.viewer)}</nav></div></header>
<main>`
  const foot = `</main>
<footer><a href="/privacy">What this server keeps</a></footer>
</body></html>`
  return { head: head.toString(), foot }
}

export function page(p: LayoutProps, main: Html): string {
  const { head, foot } = layoutParts(p)
  return head + main.toString() + foot
}

/**
 * A page of a cell's static archive (src/services/archive/): no scripts and no forms, a header and
 * footer that say what it is. Links are written as the server's addresses and made relative after.
 */
export function archivePage(p: { title: string; cell: { slug: string; name: string } }, main: Html | string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${html`<title>${p.title} · ${p.cell.name} · archive</title>`}
<link rel="stylesheet" href="/static/style.css">
</head><body>
${html`<header class="top"><a href="/c/${p.cell.slug}" class="home">${p.cell.name}</a><nav>archive</nav></header>`}
<main>${main.toString()}</main>
<footer>A static archive of what this cell published. MANIFEST lists every file’s SHA-256 and MANIFEST.asc signs it with the cell key (cell-key.asc).</footer>
</body></html>`
}
