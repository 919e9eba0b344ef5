import { MAX_PAGES, RESULTS_PER_PAGE, SEARCH_WALK, type Piece } from '../../src/domain/search.ts'
import type { SearchResult } from '../../src/services/search.ts'
import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { searchForm } from '../partials/search-form.ts'
import { readersTag } from './board.ts'

export type SearchPageProps = {
  /** Searching one cell; null: every cell. */
  cell: { slug: string; name: string } | null
  q: string
  /** Why the query was not searched (shown beside the field); null when it was, or none was asked. */
  problem: string | null
  /** null: nothing searched yet (no query, or a refused one). */
  found: { page: number; results: SearchResult[]; more: boolean; capped?: boolean; partial?: boolean } | null
}

/** Each piece escaped, then the matched ones wrapped: no stored or user HTML reaches the page. */
export const marked = (pieces: Piece[]): Html => html`${pieces.map((p) => (p.mark ? html`<mark>${p.text}</mark>` : html`${p.text}`))}`

export const searchPath = (cell: { slug: string } | null) => (cell ? `/c/${cell.slug}/search` : '/search')

export function searchMain(p: SearchPageProps): Html {
  const action = searchPath(p.cell)
  const pageLink = (n: number, label: string) => html`<a href="${action}?q=${encodeURIComponent(p.q)}&amp;page=${n}">${label}</a>`
  const f = p.found
  return html`${p.cell ? html`<nav class="crumbs"><a href="/c/${p.cell.slug}">${p.cell.name}</a> /</nav>` : ''}
<h1>${p.cell ? t('search.heading_cell', { cell: p.cell.name }) : t('search.heading')}</h1>
${searchForm({ action, q: p.q, problem: p.problem, label: p.cell ? t('search.title_cell', { cell: p.cell.name }) : t('search.label_every'), id: 'search-q' })}
<p class="hint">${t('search.hint')}</p>
${f === null ? '' : f.results.length === 0 ? (f.partial ? '' : html`<p id="results">${f.page === 1 ? t('search.nothing') : t('search.no_more')}</p>`) : html`<ol id="results" class="results" start="${(f.page - 1) * RESULTS_PER_PAGE + 1}">${f.results.map(
    (r) => html`<li><a href="${r.href}">${marked(r.title)}</a> <small>${p.cell ? '' : html`${r.cell.name} / `}${t('search.result_meta', { board: r.board.name, number: r.number, time: when(r.createdAt) })}</small>${readersTag(r.board.readers)}
<p class="snippet">${marked(r.body)}</p></li>`,
  )}</ol>`}
${f?.partial ? html`<p id="partial" class="notice" role="status">${t('search.partial', { count: SEARCH_WALK })}</p>` : ''}
${f?.capped ? html`<p id="capped" class="notice" role="status">${t('search.too_deep', { count: MAX_PAGES })}</p>` : ''}
${f && (f.page > 1 || f.more) ? html`<nav class="pager">${f.page > 1 ? pageLink(f.page - 1, t('board.newer')) : ''} ${f.more ? pageLink(f.page + 1, t('board.older')) : ''}</nav>` : ''}`
}
