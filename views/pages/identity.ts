import type { IssuedCost } from '../../src/domain/costs.ts'
import { t } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'
import { costFields } from '../partials/cost.ts'
import { tMarked } from '../partials/marked.ts'
import { boundFields, csrfField, describedBy, fieldError, formMessage, type FormState } from '../partials/forms.ts'
import type { Viewer } from '../viewer.ts'

export type IdentityPageProps = {
  viewer: Viewer
  privateKeyOffered: boolean
  sessionHours: number
  expired: boolean
  burned: boolean
  revoked: boolean
  next: string | null
  /** The login challenge to sign (only when there is no identity yet). */
  challenge: string | null
  /** What taking an identity, and a key's first login, cost (null: nothing, ABUSE_COSTS=off). */
  costs: { identity: IssuedCost | null; login: IssuedCost | null }
  disposable: FormState
  login: FormState
  revoke: FormState
}

const KIND: Record<'disposable' | 'browser' | 'gpg', () => string> = {
  disposable: () => t('identity.kind_disposable'),
  browser: () => t('identity.kind_browser'),
  gpg: () => t('identity.kind_gpg'),
}

function nextField(next: string | null): Html | '' {
  return next ? html`<input type="hidden" name="next" value="${next}">` : ''
}

function gpgLogin(p: IdentityPageProps): Html {
  return html`<section id="gpg-login"><h2>${t('identity.gpg_heading')}</h2>
<p>${tMarked('identity.gpg_intro', { sign: html`<code>gpg --clearsign FILE</code>`, file: html`<code>FILE.asc</code>`, export: html`<code>gpg --armor --export KEYID</code>` })}</p>
<pre id="challenge" class="to-sign">${p.challenge}</pre>
<form method="post" action="/identity/login">${csrfField(p.viewer.csrf)}${nextField(p.next)}
<input type="hidden" name="via" value="gpg">${formMessage(p.login)}
<label for="public_key">${t('identity.public_key_label')}</label>
<textarea id="public_key" name="public_key" rows="6"${describedBy(p.login, 'public_key')}>${p.login.values.public_key ?? ''}</textarea>
${fieldError(p.login, 'public_key')}
<label for="signed">${t('identity.signed_label')}</label>
<textarea id="signed" name="signed" rows="8"${describedBy(p.login, 'signed')}>${p.login.values.signed ?? ''}</textarea>
${fieldError(p.login, 'signed')}
${p.costs.login ? html`<p class="hint">${t('identity.login_cost_hint')}</p>` : ''}
${costFields(p.costs.login, p.login)}
<button>${t('identity.login_button')}</button>
</form></section>`
}

// What the browser-key panel says (static/browser-key.js reads each data-msg-NAME as dataset.msgName),
// from the catalog like the rest of the page; `{error}` is filled in by the script.
const BROWSER_KEY_MESSAGES = ['heading', 'intro', 'create', 'import-summary', 'import-label', 'import', 'key', 'login', 'export', 'forget', 'making', 'new-kept', 'kept', 'import-failed', 'passphrase', 'forgotten', 'signing', 'finishing'] as const
function browserKeyMessages(): Html {
  const key = (name: string) => (name === 'heading' ? 'identity.browser_heading' : `identity.bk_${name.replace(/-/g, '_')}`)
  return html`${BROWSER_KEY_MESSAGES.map((name) => html` data-msg-${name}="${t(key(name), { error: '{error}' })}"`)}`
}

/**
 * Where the browser-key panel goes. The panel needs JavaScript, so the page carries none of it:
 * static/browser-key.js builds it in place of this note, which is what a reader without JavaScript
 * (a text browser, Tor Browser's Safest mode) reads instead of buttons that would do nothing.
 * The note carries what the panel's login needs: a form token and where to go after.
 */
function browserKeyNote(p: IdentityPageProps, text: Html): Html {
  return html`<section id="browser-key-off" data-csrf="${p.viewer.csrf}"${p.next ? html` data-next="${p.next}"` : ''}${browserKeyMessages()}><h2>${t('identity.browser_heading')}</h2>${text}</section>`
}

function revokeForm(p: IdentityPageProps): Html {
  return html`<section id="revoke"><h2>${t('identity.revoke_heading')}</h2>
<p>${tMarked('identity.revoke_intro', { command: html`<code>gpg --gen-revoke KEYID</code>` })}</p>
<details${p.revoke.message ? html` open` : ''}><summary>${t('identity.revoke_summary')}</summary>
<form method="post" action="/identity/revoke">${csrfField(p.viewer.csrf)}${formMessage(p.revoke)}
<label for="revoke-key">${t('identity.revoke_key_label')}</label>
<textarea id="revoke-key" name="public_key" rows="6"${describedBy(p.revoke, 'public_key')}>${p.revoke.values.public_key ?? ''}</textarea>
${fieldError(p.revoke, 'public_key')}
<label for="certificate">${t('identity.revoke_certificate_label')}</label>
<textarea id="certificate" name="certificate" rows="6"${describedBy(p.revoke, 'certificate')}>${p.revoke.values.certificate ?? ''}</textarea>
${fieldError(p.revoke, 'certificate')}
<button>${t('identity.revoke_button')}</button>
</form></details></section>`
}

export function identityMain(p: IdentityPageProps): Html {
  const id = p.viewer.identity
  const notices = html`${p.burned ? html`<p role="status" class="notice">${t('identity.burned_notice')}</p>` : ''}
${p.revoked ? html`<p role="status" class="notice">${t('identity.revoked_notice')}</p>` : ''}`
  if (!id) {
    return html`<h1>${t('identity.take_heading')}</h1>${notices}
${p.expired ? html`<p class="form-error" role="alert">${t('identity.expired_notice')}</p>` : ''}
<p>${t('identity.take_intro')}</p>
<section id="disposable"><h2>${t('identity.disposable_heading')}</h2>
<p>${t('identity.disposable_intro', { hours: p.sessionHours })}</p>
<form method="post" action="/identity/disposable">${csrfField(p.viewer.csrf)}${nextField(p.next)}${formMessage(p.disposable)}
${costFields(p.costs.identity, p.disposable)}
<button>${t('identity.disposable_button')}</button></form></section>
${browserKeyNote(p, html`<p>${t('identity.browser_off')}</p>`)}
${gpgLogin(p)}
${revokeForm(p)}`
  }
  return html`<h1>${t('identity.your_heading')}</h1>${notices}
${p.next ? html`<p class="notice"><a href="${p.next}">${t('identity.continue')}</a></p>` : ''}
<p>${tMarked('identity.you_post_as', { handle: html`<b>${id.pseudonym.handle}</b>`, short: html`<code>${id.pseudonym.short}</code>` })}</p>
<p>${tMarked('identity.fingerprint', { fingerprint: html`<code class="fpr">${id.fingerprint}</code>` })}</p>
<p>${t('identity.kind', { kind: KIND[id.kind]() })}</p>
${id.kind === 'disposable' ? (p.privateKeyOffered
  ? html`<section class="once"><h2>${t('identity.private_once_heading')}</h2>
<p>${tMarked('identity.private_once_text', { command: html`<code>gpg --import</code>` })}</p>
<form method="post" action="/identity/private-key.asc" hx-boost="false">${boundFields(p.viewer)}<button>${t('identity.private_once_button')}</button></form></section>`
  : html`<p>${t('identity.private_gone')}</p>`) : ''}
${id.kind === 'disposable' ? html`<p class="hint">${tMarked('identity.move_to_gpg', { command: html`<code>gpg --import</code>` })}</p>` : ''}
<p><a href="/identity/public-key.asc" download="cellboard-public-key.asc" hx-boost="false">${t('identity.download_public')}</a></p>
${id.kind === 'browser' ? browserKeyNote(p, html`<p>${t('identity.browser_js_off')}</p>`) : ''}
<h2>${t('identity.burn_heading')}</h2>
<p>${t('identity.burn_text')}${id.kind === 'browser'
  ? html` ${t('identity.burn_browser')}`
  : ''}</p>
<form method="post" action="/identity/burn"${id.kind === 'browser' ? html` data-forget-browser-key` : ''}>${boundFields(p.viewer)}<button>${t('identity.burn_button')}</button></form>
${revokeForm(p)}`
}
