import type { IssuedCost } from '../../src/domain/costs.ts'
import { html, type Html } from '../html.ts'
import { fieldError, type FormState } from './forms.ts'

/**
 * The cost of a form (src/services/costs.ts), put inside any form that must pay one. With
 * JavaScript on, static/pow.js solves the proof of work in `cost_pow` and fills `cost_solution`
 * before the form goes, saying what it does in the status line. With JavaScript off, the
 * <noscript> part shows instead: a picture to read, or a question to answer (a text browser reads
 * the question; the picture is fetched only by a browser that runs no script, so only when needed).
 * Nothing here when costs are off.
 */
export function costFields(cost: IssuedCost | null, form: FormState): Html | '' {
  if (!cost) return ''
  const id = (name: string) => `${name}-${cost.purpose}`
  const p = cost.puzzle
  return html`<div class="cost">
<input type="hidden" name="cost_pow" value="${cost.pow}"><input type="hidden" name="cost_solution" value="">
<p class="cost-status hint" role="status"></p>
${fieldError(form, 'cost')}
<noscript><fieldset class="puzzle"><legend>A check that a person is sending this</legend>
<input type="hidden" name="cost_puzzle" value="${p.id}">
<img src="/cost/${p.id}.png" width="300" height="100" alt="A picture of five letters and digits. If you cannot see or read it, answer the question below instead.">
<label for="${id('cost_picture')}">Type the five letters and digits in the picture</label>
<input id="${id('cost_picture')}" name="cost_picture" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="20">
<label for="${id('cost_answer')}">Or answer this question, in digits or words: ${p.question}</label>
<input id="${id('cost_answer')}" name="cost_answer" autocomplete="off" maxlength="40">
<p class="hint">One answer is enough. Each picture and question can be tried once, for 10 minutes.</p>
</fieldset></noscript>
</div>`
}
