import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'

/**
 * A search field: a plain GET form (no token, no JavaScript). In the page header it searches every
 * cell; on a cell's page, that cell. A refused query comes back with the reason beside the field.
 */
export function searchForm(p: { action: string; q?: string; problem?: string | null; label?: string; id?: string }): Html {
  const id = p.id ?? 'q'
  return html`<form action="${p.action}" method="get" role="search" class="search">
<label for="${id}">${p.label ?? t('search.label')}</label> <input type="search" id="${id}" name="q" value="${p.q ?? ''}" maxlength="200"${p.problem ? html` aria-invalid="true" aria-describedby="${id}-problem"` : ''}> <button type="submit">${t('search.button')}</button>
${p.problem ? html`<p class="field-error" id="${id}-problem" role="alert">${p.problem}</p>` : ''}</form>`
}
