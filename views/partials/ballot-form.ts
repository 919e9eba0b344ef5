import { ballotText, CHOICES } from '../../src/domain/questions.ts'
import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { choiceLabel, linkTo, tHtml } from './question-kinds.ts'
import type { Viewer } from '../viewer.ts'
import { boundFields, describedBy, fieldError, formMessage, type FormState } from './forms.ts'

export type BallotPlace = { site: string; cell: string; question: number; line: number }

/**
 * How a voter votes depends on how they hold their key: a disposable identity chooses, then
 * confirms the exact text the server will sign; a browser key signs in the browser; a GnuPG voter
 * clearsigns the shown ballot text and pastes it (the browser voter can too, with JS off).
 */
export function ballotForm(p: { viewer: Viewer; place: BallotPlace; form: FormState; action: string }): Html {
  const kind = p.viewer.identity?.kind
  const choices = html`<fieldset><legend>${t('questions.your_ballot')}</legend>${CHOICES.map((c) => html`<label class="choice"><input type="radio" name="choice" value="${c}"${describedBy(p.form, 'choice')}${p.form.values.choice === c ? ' checked' : ''}> ${choiceLabel(c)}</label>`)}</fieldset>${fieldError(p.form, 'choice')}`
  const paste = html`<p>${tHtml('questions.clearsign_one', { command: html`<code>gpg --clearsign FILE</code>` })}</p>
${CHOICES.map((choice) => html`<p class="hint">${tHtml('questions.to_vote', { choice: choiceLabel(choice) })}</p><pre class="to-sign">${ballotText({ ...p.place, choice })}</pre>`)}
<label for="ballot-signed-${p.place.question}">${t('questions.signed_ballot')}</label>
<textarea id="ballot-signed-${p.place.question}" name="signed" rows="8"${describedBy(p.form, 'signed')}>${p.form.values.signed ?? ''}</textarea>${fieldError(p.form, 'signed')}`
  if (kind === 'disposable') {
    return html`<form method="post" action="${p.action}" class="ballot">${boundFields(p.viewer)}${formMessage(p.form)}${choices}
<button>${t('questions.review_ballot')}</button><p class="hint">${t('questions.review_hint')}</p></form>`
  }
  if (kind === 'browser') {
    return html`<form method="post" action="${p.action}" class="ballot" data-sign-ballot data-msg-sign-failed="${t('thread.sign_failed', { error: '{error}' })}" data-site="${p.place.site}" data-cell="${p.place.cell}" data-question="${p.place.question}" data-line="${p.place.line}">
${boundFields(p.viewer)}${formMessage(p.form)}${choices}
<p class="hint">${t('questions.browser_signs')}</p>
<details><summary>${t('questions.without_js')}</summary>${paste}</details>
<button>${t('questions.cast_ballot')}</button></form>`
  }
  return html`<form method="post" action="${p.action}" class="ballot">${boundFields(p.viewer)}${formMessage(p.form)}${paste}<button>${t('questions.cast_ballot')}</button></form>`
}

/** The disposable voter's explicit confirm: the exact text their key will sign. */
export function ballotConfirm(p: { viewer: Viewer; action: string; text: string; choice: string; question: number; label: string }): Html {
  return html`<h1>${t('questions.confirm_title')}</h1>
<p>${tHtml('questions.confirm_on', { link: linkTo(p.action.replace(/\/ballot$/, '')), number: String(p.question), label: p.label })}</p>
<p>${t('questions.confirm_intro')}</p>
<pre class="to-sign">${p.text}</pre>
<form method="post" action="${p.action}">${boundFields(p.viewer)}<input type="hidden" name="choice" value="${p.choice}"><input type="hidden" name="confirm" value="yes">
<button>${t('questions.sign_and_cast')}</button></form>
<p><a href="${p.action.replace(/\/ballot$/, '')}">${t('questions.go_back')}</a></p>`
}
