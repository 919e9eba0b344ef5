import { html, type Html } from '../html.ts'
import { boundFields } from '../partials/forms.ts'
import type { Viewer } from '../viewer.ts'

const TITLES: Record<number, string> = {
  400: 'That request could not be read',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Not this way',
  409: 'Not done',
  413: 'Too large',
  415: 'Unsupported form',
  422: 'Please check your input',
  429: 'Too many requests',
  500: 'Something broke on our side',
  503: 'Full for now',
}
export const errorTitle = (status: number) => TITLES[status] ?? 'Error'

/** What a refused form held, and where it can be written again. */
export type Kept = {
  fields: Record<string, string>
  /** The page that shows the form empty. */
  formPage: string
  /** Only for a request that carried a good form token: the same address, for this viewer. */
  resend: { action: string; viewer: Viewer } | null
}

/**
 * An error page. When the failed request was a form with text in it (a post, a title), the text
 * comes back so nothing the person wrote is lost: in a fresh form to send again if the request
 * carried a good form token; otherwise read-only, with no form and no token, and a link to the
 * empty form (the request may have been forged by another site: one click here must send nothing).
 */
export function errorMain(p: { status: number; message: string; kept: Kept | null }): Html {
  const fields = Object.entries(p.kept?.fields ?? {})
  const rows = (name: string) => (name === 'body' || name === 'argument' || name === 'signed' ? 8 : name === 'text' ? 3 : 1)
  let kept: Html | '' = ''
  if (p.kept && fields.length === 0 && p.status !== 404) {
    kept = html`<p><a href="${p.kept.formPage}">Open the form again</a></p>`
  } else if (p.kept?.resend && fields.length > 0) {
    kept = html`<h2>Your text, kept</h2><form method="post" action="${p.kept.resend.action}">${boundFields(p.kept.resend.viewer)}
${fields.map(([name, value]) => html`<label for="kept-${name}">${name}</label><textarea id="kept-${name}" name="${name}" rows="${rows(name)}">${value}</textarea>`)}
<button>Submit again</button></form>`
  } else if (p.kept && !p.kept.resend && fields.length > 0) {
    kept = html`<h2>What the form held, not sent</h2>
<p>Shown here to copy; this page cannot send it. If it is yours, <a href="${p.kept.formPage}">open the form again</a> and paste it there.</p>
${fields.map(([name, value]) => html`<label for="kept-${name}">${name}</label><textarea id="kept-${name}" rows="${rows(name)}" readonly>${value}</textarea>`)}`
  }
  return html`<h1>${errorTitle(p.status)}</h1>
<p class="form-error" role="alert">${p.message}</p>
${kept}
<p><a href="/">Back to the cells</a></p>`
}
