import { html, type Html } from '../html.ts'

/** The banner of a board or thread page in flood (src/services/flood.ts); nothing otherwise. */
export function floodBanner(f: { inFlood: boolean; asks: boolean; exempt: boolean }): Html | '' {
  if (!f.inFlood) return ''
  if (!f.asks) return html`<p class="notice flood" role="status">This board is getting many posts just now.</p>`
  return html`<p class="notice flood" role="status">This board is getting many posts just now, so each new thread and reply here asks for a small check until it calms down: with JavaScript on, your browser does it by itself; without it, you type the letters in a picture or answer a short question.${f.exempt ? html` Your key is on the cell’s roster, so your posts go without it.` : ''}</p>`
}
