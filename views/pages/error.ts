import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { boundFields } from '../partials/forms.ts'
import type { Viewer } from '../viewer.ts'

const TITLES: Record<number, () => string> = {
  400: () => t('app.title_400'),
  403: () => t('app.title_403'),
  404: () => t('app.title_404'),
  405: () => t('app.title_405'),
  409: () => t('app.title_409'),
  410: () => t('app.title_410'),
  413: () => t('app.title_413'),
  415: () => t('app.title_415'),
  422: () => t('app.title_422'),
  429: () => t('app.title_429'),
  500: () => t('app.title_500'),
  503: () => t('app.title_503'),
}
export const errorTitle = (status: number) => (TITLES[status] ?? (() => t('app.title_error')))()

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
export function errorMain(p: { status: number; message: string; kept: Kept | null; way?: { href: string; label: string } | null }): Html {
  const fields = Object.entries(p.kept?.fields ?? {})
  const rows = (name: string) => (name === 'body' || name === 'argument' || name === 'signed' ? 8 : name === 'text' ? 3 : 1)
  let kept: Html | '' = ''
  if (p.kept && fields.length === 0 && p.status !== 404) {
    kept = html`<p><a href="${p.kept.formPage}">${t('app.kept_open_again')}</a></p>`
  } else if (p.kept?.resend && fields.length > 0) {
    kept = html`<h2>${t('app.kept_heading')}</h2><form method="post" action="${p.kept.resend.action}">${boundFields(p.kept.resend.viewer)}
${fields.map(([name, value]) => html`<label for="kept-${name}">${t('app.kept_field', { name })}</label><textarea id="kept-${name}" name="${name}" rows="${rows(name)}">${value}</textarea>`)}
<button>${t('app.kept_submit')}</button></form>`
  } else if (p.kept && !p.kept.resend && fields.length > 0) {
    kept = html`<h2>${t('app.kept_readonly_heading')}</h2>
<p>${t('app.kept_readonly_note')} <a href="${p.kept.formPage}">${t('app.kept_readonly_link')}</a> ${t('app.kept_readonly_after')}</p>
${fields.map(([name, value]) => html`<label for="kept-${name}">${t('app.kept_field', { name })}</label><textarea id="kept-${name}" rows="${rows(name)}" readonly>${value}</textarea>`)}`
  }
  return html`<h1>${errorTitle(p.status)}</h1>
<p class="form-error" role="alert">${p.message}</p>
${kept}
${p.way ? html`<p><a href="${p.way.href}">${p.way.label}</a></p>` : ''}
<p><a href="/">${t('app.back_to_cells')}</a></p>`
}
