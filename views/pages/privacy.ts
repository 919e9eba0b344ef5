import type { DataClass } from '../../src/db/registry.ts'
import { LETTER_BUCKETS } from '../../src/domain/letters.ts'
import { lang, PSEUDO_LANG, t } from '../../src/i18n/index.ts'
import type { PrivacyTable, Sentence } from '../../src/services/privacy.ts'
import { html, type Html } from '../html.ts'

export type PrivacyProps = {
  tables: PrivacyTable[]
  /** Catalog keys: what is kept only in memory, and why. */
  ephemeral: readonly { what: string; why: string }[]
  /** Catalog keys: what is never collected. */
  neverKept: readonly string[]
  granularityMinutes: number
  sessionHours: number
}

const say = (s: Sentence) => t(s.key, s.values)
const className = (cls: DataClass) => t(`privacy.class__${cls}`)

/** The letter sizes as the language lists them ("1 KiB, 4 KiB, 16 KiB, 64 KiB"). */
function bucketSizes(): string {
  const l = lang()
  return new Intl.ListFormat(l === PSEUDO_LANG ? 'en' : l, { type: 'unit', style: 'short' }).format(LETTER_BUCKETS.map((b) => t('privacy.size_kib', { size: b / 1024 })))
}

export function privacyMain(p: PrivacyProps): Html {
  return html`<h1>${t('privacy.heading')}</h1>
<p>${t('privacy.intro')}</p>
<h2>${t('privacy.never_heading')}</h2><ul>${p.neverKept.map((n) => html`<li>${t(n)}</li>`)}</ul>
<p>${t('privacy.rounded', { minutes: p.granularityMinutes })}</p>
<h2>${t('privacy.memory_heading')}</h2><ul>${p.ephemeral.map(({ what, why }) => html`<li><b>${t(what)}</b>: ${t(why)}</li>`)}</ul>
<p>${t('privacy.session_idle', { hours: p.sessionHours })}</p>
<h2>${t('privacy.letters_heading')}</h2>
<p>${t('privacy.letters_encrypted')}</p>
<p>${t('privacy.letters_padded', { sizes: bucketSizes() })}</p>
<p>${t('privacy.letters_seen')}</p>
<p>${t('privacy.letters_rotation')} ${t('privacy.letters_transitions', { page: t('privacy.key_transitions_page') })} <code>gpg --verify</code>. ${t('privacy.letters_kept_encrypted')}</p>
<h2>${t('privacy.db_heading')}</h2>
${p.tables.map(
  (tb) => html`<h3><code>${tb.name}</code></h3><p>${say(tb.about)}</p><table><thead><tr><th>${t('privacy.th_column')}</th><th>${t('privacy.th_class')}</th><th>${t('privacy.th_why')}</th></tr></thead><tbody>${tb.columns.map(
    (c) => html`<tr><td><code>${c.name}</code></td><td>${className(c.cls)}</td><td>${say(c.why)}</td></tr>`,
  )}</tbody></table>`,
)}`
}
