import { ballotText, CHOICES } from '../../src/domain/questions.ts'
import { html, type Html } from '../html.ts'
import type { Viewer } from '../viewer.ts'
import { boundFields, fieldError, formMessage, type FormState } from './forms.ts'

export type BallotPlace = { site: string; cell: string; question: number; line: number }

/**
 * How a voter votes depends on how they hold their key: a disposable identity chooses, then
 * confirms the exact text the server will sign; a browser key signs in the browser; a GnuPG voter
 * clearsigns the shown ballot text and pastes it (the browser voter can too, with JS off).
 */
export function ballotForm(p: { viewer: Viewer; place: BallotPlace; form: FormState; action: string }): Html {
  const kind = p.viewer.identity?.kind
  const choices = html`<fieldset><legend>Your ballot</legend>${CHOICES.map((c) => html`<label class="choice"><input type="radio" name="choice" value="${c}"${p.form.values.choice === c ? ' checked' : ''}> ${c}</label>`)}</fieldset>${fieldError(p.form, 'choice')}`
  const paste = html`<p>Clearsign one of these texts (<code>gpg --clearsign FILE</code>) and paste the result:</p>
${CHOICES.map((choice) => html`<p class="hint">To vote <b>${choice}</b>:</p><pre class="to-sign">${ballotText({ ...p.place, choice })}</pre>`)}
<label for="ballot-signed-${p.place.question}">Signed ballot</label>
<textarea id="ballot-signed-${p.place.question}" name="signed" rows="8">${p.form.values.signed ?? ''}</textarea>${fieldError(p.form, 'signed')}`
  if (kind === 'disposable') {
    return html`<form method="post" action="${p.action}" class="ballot">${boundFields(p.viewer)}${formMessage(p.form)}${choices}
<button>Review the ballot</button><p class="hint">You will see the exact text before your disposable key signs it.</p></form>`
  }
  if (kind === 'browser') {
    return html`<form method="post" action="${p.action}" class="ballot" data-sign-ballot data-site="${p.place.site}" data-cell="${p.place.cell}" data-question="${p.place.question}" data-line="${p.place.line}">
${boundFields(p.viewer)}${formMessage(p.form)}${choices}
<p class="hint">Your browser key signs the ballot before it is sent.</p>
<details><summary>Without JavaScript: paste a signed ballot</summary>${paste}</details>
<button>Cast the ballot</button></form>`
  }
  return html`<form method="post" action="${p.action}" class="ballot">${boundFields(p.viewer)}${formMessage(p.form)}${paste}<button>Cast the ballot</button></form>`
}

/** The disposable voter's explicit confirm: the exact text their key will sign. */
export function ballotConfirm(p: { viewer: Viewer; action: string; text: string; choice: string; question: number; label: string }): Html {
  return html`<h1>Sign this ballot?</h1>
<p>On <a href="${p.action.replace(/\/ballot$/, '')}">question ${p.question}: ${p.label}</a>.</p>
<p>Your disposable key will sign exactly this text, and it will be published with the decision:</p>
<pre class="to-sign">${p.text}</pre>
<form method="post" action="${p.action}">${boundFields(p.viewer)}<input type="hidden" name="choice" value="${p.choice}"><input type="hidden" name="confirm" value="yes">
<button>Sign and cast</button></form>
<p><a href="${p.action.replace(/\/ballot$/, '')}">Go back</a></p>`
}
