import { tMarked } from './marked.ts'
import { keepable } from '../../src/domain/text.ts'
import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import type { Viewer } from '../viewer.ts'

/** What a form shows again after a failed submit: the person's input and a message per field. */
type Strings = Record<string, string>
export type FormState = { values: Strings; errors: Strings; message?: string }
export const emptyForm = (): FormState => ({ values: {}, errors: {} })

/**
 * A form sent back after a refusal: the person's input kept, except any field holding a private
 * key pasted by mistake, which comes back empty (keepable). Every handler builds it here.
 */
type Sent = Record<string, string | undefined>
export function refusedForm(values: Sent, e: { fields?: Strings; message?: string }): FormState {
  return { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, keepable(v ?? '')])), errors: e.fields ?? {}, message: e.message }
}

export function fieldError(f: FormState, name: string): Html {
  const e = f.errors[name]
  return e ? html`<p class="field-error" id="${name}-error">${e}</p>` : html``
}

export const formError = (message: string): Html => html`<p class="form-error" role="alert">${message}</p>`

/**
 * The form's message slot, there even when empty: an htmx submit refused as too large (413) puts
 * its message here and leaves the form, and the text in it, as it was.
 */
export function formMessage(f: FormState): Html {
  return html`<div class="form-problem">${f.message ? formError(f.message) : ''}</div>`
}

/** The form token; it also carries what static/hold-submit.js says when a send never arrived (every form that posts has it). */
export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}" data-msg-send-failed="${t('forms.send_failed')}" data-msg-send-failed-plain="${t('forms.send_failed_plain')}">`

/**
 * A form that acts as the viewer's identity: its token, and the key it is shown for, so that
 * sending it after the browser changed identity is refused rather than done as the new key.
 */
export const boundFields = (viewer: Viewer): Html =>
  html`${csrfField(viewer.csrf)}${viewer.identity ? html`<input type="hidden" name="_key" value="${viewer.identity.fingerprint}">` : ''}`

export const describedBy = (f: FormState, name: string): Html | '' => (f.errors[name] ? html` aria-describedby="${name}-error" aria-invalid="true"` : '')

/** In place of a posting form when there is no identity: a way to get one, and any text kept. */
export function identityNeeded(form: FormState, next: string): Html {
  const kept = Object.entries(form.values).filter(([, v]) => v.trim() !== '')
  const link = html`<a href="/identity?next=${encodeURIComponent(next)}">${t('forms.take_identity')}</a>`
  return html`${formMessage(form)}<p>${tMarked('forms.identity_needed', { link })}</p>
${kept.length > 0 ? html`<p>${t('forms.text_kept')}</p>${kept.map(([name, v]) => html`<textarea readonly aria-label="${t('forms.your_field', { field: name })}" rows="${name === 'body' ? 6 : 1}">${v}</textarea>`)}` : ''}`
}

