import { html, type Html } from '../html.ts'
import { t } from '../../src/i18n/index.ts'

/** The banner of a board or thread page in flood (src/services/flood.ts); nothing otherwise. */
export function floodBanner(f: { inFlood: boolean; asks: boolean; exempt: boolean }): Html | '' {
  if (!f.inFlood) return ''
  if (!f.asks) return html`<p class="notice flood" role="status">${t('costs.flood_banner')}</p>`
  return html`<p class="notice flood" role="status">${t('costs.flood_banner_asks')}${f.exempt ? html` ${t('costs.flood_exempt')}` : ''}</p>`
}
