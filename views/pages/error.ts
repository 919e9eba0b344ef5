import { html, type Html } from '../html.ts'
import { csrfField } from '../partials/forms.ts'

const TITLES: Record<number, string> = {
  400: 'That request could not be read',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Not this way',
  409: 'Already there',
  413: 'Too large',
  415: 'Unsupported form',
  422: 'Please check your input',
  429: 'Too many requests',
  500: 'Something broke on our side',
}
export const errorTitle = (status: number) => TITLES[status] ?? 'Error'

/**
 * An error page. When the failed request was a form with text in it (a post, a title), the text
 * comes back in a fresh form aimed at the same address, so nothing the person wrote is lost.
 */
export function errorMain(p: { status: number; message: string; kept: { action: string; csrf: string; fields: Record<string, string> } | null }): Html {
  const kept = p.kept && Object.keys(p.kept.fields).length > 0 ? p.kept : null
  return html`<h1>${errorTitle(p.status)}</h1>
<p class="form-error" role="alert">${p.message}</p>
${kept
  ? html`<h2>Your text, kept</h2><form method="post" action="${kept.action}">${csrfField(kept.csrf)}
${Object.entries(kept.fields).map(([name, value]) => html`<label for="kept-${name}">${name}</label><textarea id="kept-${name}" name="${name}" rows="${name === 'body' ? 8 : 1}">${value}</textarea>`)}
<button>Submit again</button></form>`
  : ''}
<p><a href="/">Back to the cells</a></p>`
}
