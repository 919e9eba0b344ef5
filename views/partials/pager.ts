import { num, t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'

// Spaces between the links: without them a text browser reads the page numbers as one ("12").
// The pager is a flex row with a gap, so a browser with CSS shows no difference.
const joined = (links: Html[]): Html => html`${links.map((l, i) => (i === 0 ? l : html` ${l}`))}`

export function pager(path: string, page: number, pages: number): Html {
  if (pages <= 1) return html``
  const link = (n: number, label: string) => html`<a href="${path}?page=${n}"${n === page ? html` aria-current="page"` : ''}>${label}</a>`
  const numbers = Array.from({ length: pages }, (_, i) => i + 1).filter((n) => n === 1 || n === pages || Math.abs(n - page) <= 2)
  return html`<nav class="pager">${page > 1 ? link(page - 1, t('board.newer')) : ''} ${joined(numbers.map((n) => link(n, num(n))))} ${page < pages ? link(page + 1, t('board.older')) : ''}</nav>`
}
