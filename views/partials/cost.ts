import type { IssuedCost } from '../../src/domain/costs.ts'
import { html, type Html } from '../html.ts'
import { fieldError, type FormState } from './forms.ts'
import { t } from '../../src/i18n/index.ts'

/**
 * The cost of a form (src/services/costs.ts), put inside any form that must pay one. With
 * JavaScript on, static/pow.js solves the proof of work in `cost_pow` and fills `cost_solution`
 * before the form goes, saying what it does in the status line. With JavaScript off, the
 * <noscript> part shows instead: a picture to read, or a question to answer (a text browser reads
 * the question; the picture is fetched only by a browser that runs no script, so only when needed).
 * Nothing here when costs are off.
 */
// What static/pow.js says in the status line (data-msg-NAME on the cost, read as dataset.msgName),
// in the reader's language; `{error}` is filled in by the script.
const POW_MESSAGES = { checked: 'costs.pow_checked', 'failed-status': 'costs.pow_failed_status', failed: 'costs.pow_failed', sending: 'costs.pow_sending', working: 'costs.pow_working', slow: 'costs.pow_slow', insecure: 'costs.pow_insecure' } as const
const powMessages = (): Html => html`${Object.entries(POW_MESSAGES).map(([name, key]) => html` data-msg-${name}="${t(key, { error: '{error}' })}"`)}`

export function costFields(cost: IssuedCost | null, form: FormState): Html | '' {
  if (!cost) return ''
  const id = (name: string) => `${name}-${cost.purpose}`
  const p = cost.puzzle
  return html`<div class="cost"${powMessages()}>
<input type="hidden" name="cost_pow" value="${cost.pow}"><input type="hidden" name="cost_solution" value="">
<p class="cost-status hint" role="status"></p>
${fieldError(form, 'cost')}
<noscript><fieldset class="puzzle"><legend>${t('costs.legend')}</legend>
<input type="hidden" name="cost_puzzle" value="${p.id}">
<img src="/cost/${p.id}.png" width="300" height="100" alt="${t('costs.picture_alt')}">
<label for="${id('cost_picture')}">${t('costs.picture_label')}</label>
<input id="${id('cost_picture')}" name="cost_picture" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="20">
<label for="${id('cost_answer')}">${t('costs.question_label', { question: p.question })}</label>
<input id="${id('cost_answer')}" name="cost_answer" autocomplete="off" maxlength="40">
<p class="hint">${t('costs.one_answer')}</p>
</fieldset></noscript>
</div>`
}
