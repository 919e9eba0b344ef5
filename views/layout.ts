import { feedPaths } from '../src/domain/feeds.ts'
import { dirOf, lang, LANG_NAMES, LANGS, t } from '../src/i18n/index.ts'
import { html, type Html } from './html.ts'
import type { Viewer } from './viewer.ts'

const PRODUCT = 'cellboard' // i18n-exempt: the product's name, the same in every language

/** An Atom feed the page is the reading of: its head names it, for a browser or feed reader to find. */
export type FeedLink = { title: string; href: string }
/** The feeds a cell's own pages (the cell, its decisions) are the reading of. */
export const cellFeeds = (cell: { slug: string; name: string }): FeedLink[] => [
  { title: t('layout.feed_decisions', { cell: cell.name }), href: feedPaths.decisions(cell.slug) },
  { title: t('layout.feed_answers', { cell: cell.name }), href: feedPaths.answers(cell.slug) },
]
export const boardFeeds = (cell: { slug: string; name: string }, board: { slug: string; name: string }): FeedLink[] => [{ title: `${board.name} · ${cell.name}`, href: feedPaths.board(cell.slug, board.slug) }]
/**
 * `indexable`: the page may be indexed (a board that asks to be, and its threads); every other page says noindex.
 * `identityLink`: 'back', the header's "take an identity" comes back here; 'plain', it does not (the page's own form section offers that way).
 */
export type LayoutProps = { title: string; viewer: Viewer; feeds?: FeedLink[]; indexable?: boolean; here?: Here; identityLink?: 'back' | 'plain' }

/**
 * Where the page is: `path` (its address, page number and a search's words) for the language switch
 * to come back to; `identityPath`, where taking an identity comes back to, when that is less (a
 * search's address alone: the new identity starts on a connection of its own, and its first request
 * would otherwise say what was searched before it).
 */
export type Here = { path: string; identityPath?: string }

/**
 * The language switch: plain links (they work in lynx and with JavaScript off), each to GET /lang,
 * which keeps the choice in a cookie a burn drops, and comes back here. Not boosted: the page's
 * <html lang dir> changes with it. (The choice lasts until the browser closes or the burn.)
 */
function languageSwitch(here: Here): Html {
  const back = encodeURIComponent(here.path)
  const current = lang()
  return html`<nav class="langs" aria-label="${t('layout.languages')}">${LANGS.map((l) => (l === current ? html`<b lang="${l}">${LANG_NAMES[l]}</b> ` : html`<a href="/lang?to=${l}&amp;next=${back}" lang="${l}" hreflang="${l}" hx-boost="false">${LANG_NAMES[l]}</a> `))}</nav>`
}

function identityBar(v: Viewer, here: Here | undefined, link: 'back' | 'plain'): Html {
  const id = v.identity
  // Taking an identity comes back to the page it was asked from (the thread a reader meant to answer);
  // not from a letter's pages: the server is not told that a new identity came from writing a letter.
  const back = here && (here.identityPath ?? here.path)
  const next = link === 'back' && back && back !== '/' && !back.startsWith('/identity') && !/\/letters(\/|$)/.test(back) ? `?next=${encodeURIComponent(back)}` : ''
  if (!id) return html`<a href="/identity${next}">${t('layout.take_identity')}</a>`
  // Burning is on the identity page only: one stray click in the header would end it for good.
  const questions = v.openQuestions > 0 ? html`<a href="/questions" class="open-questions" title="${t('layout.open_questions_title')}">${t('layout.open_questions', { count: v.openQuestions })}</a> ` : ''
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
  const l = lang()
  const dir = dirOf(l)
  const head = html`<!doctype html>
<html lang="${l}" dir="${dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${PRODUCT}</title>
${p.indexable ? '' : html`<meta name="robots" content="noindex">
`}${(p.feeds ?? []).map((f) => html`<link rel="alternate" type="application/atom+xml" title="${f.title}" href="${f.href}">
`)}<link rel="stylesheet" href="/static/style.css"><script src="/static/htmx.min.js" defer></script><script src="/static/app.js" type="module"></script>
</head><body hx-boost="true"><div class="page" lang="${l}" dir="${dir}">
${p.viewer.identity ? html`<link rel="stylesheet" href="${p.viewer.identity.ownPosts}">
` : ''}<header class="top"><a href="/" class="home">${PRODUCT}</a> <form action="/search" method="get" role="search" class="search-top"><input type="search" name="q" aria-label="${t('layout.search_label')}" placeholder="${t('layout.search_placeholder')}" maxlength="200"> <button type="submit">${t('layout.search_button')}</button></form> <div><nav>${identityBar(p.viewer, p.here, p.identityLink ?? 'back')}</nav></div></header>
<main>`
  const foot = html`</main>
<footer><a href="/privacy">${t('layout.privacy')}</a> ${p.here ? languageSwitch(p.here) : ''}</footer>
</div></body></html>`
  return { head: head.toString(), foot: foot.toString() }
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
<html lang="${lang()}" dir="${dirOf(lang())}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${html`<title>${p.title} · ${p.cell.name} · ${t('archive.archive')}</title>`}
<link rel="stylesheet" href="/static/style.css">
</head><body>
${html`<header class="top"><a href="/c/${p.cell.slug}" class="home">${p.cell.name}</a> <div><nav>${t('archive.archive')}</nav></div></header>`}
<main>${main.toString()}</main>
<footer>${t('archive.footer')}</footer>
</body></html>`
}
