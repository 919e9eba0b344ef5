import type { IssuedCost } from '../../src/domain/costs.ts'
import { html, type Html } from '../html.ts'
import { costFields } from '../partials/cost.ts'
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

const KIND: Record<'disposable' | 'browser' | 'gpg', string> = {
  disposable: 'disposable (the server holds the private key in memory for this session)',
  browser: 'browser key (the private key stays in your browser; it signs your posts there)',
  gpg: 'your own GnuPG key (you may clearsign posts and paste them)',
}

function nextField(next: string | null): Html | '' {
  return next ? html`<input type="hidden" name="next" value="${next}">` : ''
}

function gpgLogin(p: IdentityPageProps): Html {
  return html`<section id="gpg-login"><h2>Your own GnuPG key</h2>
<p>No JavaScript needed. Save this challenge to a file, sign it with <code>gpg --clearsign FILE</code>, and paste
<code>FILE.asc</code> with your public key (<code>gpg --armor --export KEYID</code>). The challenge works once, for 10 minutes.</p>
<pre id="challenge" class="to-sign">${p.challenge}</pre>
<form method="post" action="/identity/login">${csrfField(p.viewer.csrf)}${nextField(p.next)}
<input type="hidden" name="via" value="gpg">${formMessage(p.login)}
<label for="public_key">Your public key</label>
<textarea id="public_key" name="public_key" rows="6"${describedBy(p.login, 'public_key')}>${p.login.values.public_key ?? ''}</textarea>
${fieldError(p.login, 'public_key')}
<label for="signed">The challenge, clearsigned</label>
<textarea id="signed" name="signed" rows="8"${describedBy(p.login, 'signed')}>${p.login.values.signed ?? ''}</textarea>
${fieldError(p.login, 'signed')}
${p.costs.login ? html`<p class="hint">A key’s first login here costs the same small check as a new identity; a key that has already signed something published here skips it.</p>` : ''}
${costFields(p.costs.login, p.login)}
<button>Log in with this key</button>
</form></section>`
}

/**
 * Where the browser-key panel goes. The panel needs JavaScript, so the page carries none of it:
 * static/browser-key.js builds it in place of this note, which is what a reader without JavaScript
 * (a text browser, Tor Browser's Safest mode) reads instead of buttons that would do nothing.
 * The note carries what the panel's login needs: a form token and where to go after.
 */
function browserKeyNote(p: IdentityPageProps, text: Html): Html {
  return html`<section id="browser-key-off" data-csrf="${p.viewer.csrf}"${p.next ? html` data-next="${p.next}"` : ''}><h2>Browser key</h2>${text}</section>`
}

function revokeForm(p: IdentityPageProps): Html {
  return html`<section id="revoke"><h2>Revoke a key</h2>
<p>If a key is lost or exposed, paste it with its revocation certificate (<code>gpg --gen-revoke KEYID</code>). A revoked key can no
longer log in or sign here, and its sessions end at once.</p>
<details${p.revoke.message ? html` open` : ''}><summary>Revoke a key</summary>
<form method="post" action="/identity/revoke">${csrfField(p.viewer.csrf)}${formMessage(p.revoke)}
<label for="revoke-key">The public key</label>
<textarea id="revoke-key" name="public_key" rows="6"${describedBy(p.revoke, 'public_key')}>${p.revoke.values.public_key ?? ''}</textarea>
${fieldError(p.revoke, 'public_key')}
<label for="certificate">Its revocation certificate</label>
<textarea id="certificate" name="certificate" rows="6"${describedBy(p.revoke, 'certificate')}>${p.revoke.values.certificate ?? ''}</textarea>
${fieldError(p.revoke, 'certificate')}
<button>Revoke the key</button>
</form></details></section>`
}

export function identityMain(p: IdentityPageProps): Html {
  const id = p.viewer.identity
  const notices = html`${p.burned ? html`<p role="status" class="notice">Your identity was burned: the session is ended, and the server has forgotten what it held for it (for a disposable identity, its private key).</p>` : ''}
${p.revoked ? html`<p role="status" class="notice">The key is revoked here. It can no longer log in or sign, and its sessions have ended.</p>` : ''}`
  if (!id) {
    return html`<h1>Take an identity</h1>${notices}
${p.expired ? html`<p class="form-error" role="alert">Your last identity’s session ended (it was idle too long, burned or revoked). Any private key it held is forgotten here.</p>` : ''}
<p>Posts on cellboard are signed by a pseudonymous OpenPGP key. Nothing links two keys, and
you can throw a key away whenever you like. Three ways to hold one:</p>
<section id="disposable"><h2>Disposable identity</h2>
<p>One button, no software needed. The server makes a key pair for you, keeps the private key
only in memory for this session (it is forgotten after ${p.sessionHours} hours idle, or when you
burn the identity), and signs your posts with it. You may download the private key once.</p>
<form method="post" action="/identity/disposable">${csrfField(p.viewer.csrf)}${nextField(p.next)}${formMessage(p.disposable)}
${costFields(p.costs.identity, p.disposable)}
<button>Take a disposable identity</button></form></section>
${browserKeyNote(p, html`<p>The third way needs JavaScript, which is off here:
with it on, this page offers a key made and kept in your browser, which signs your posts before they are sent.
The other two ways work without it.</p>`)}
${gpgLogin(p)}
${revokeForm(p)}`
  }
  return html`<h1>Your identity</h1>${notices}
${p.next ? html`<p class="notice"><a href="${p.next}">Continue to where you were</a></p>` : ''}
<p>You post as <b>${id.pseudonym.handle}</b> <code>${id.pseudonym.short}</code>.</p>
<p>Fingerprint: <code class="fpr">${id.fingerprint}</code></p>
<p>Kind: ${KIND[id.kind]}</p>
${id.kind === 'disposable' ? (p.privateKeyOffered
  ? html`<section class="once"><h2>Your private key, offered once</h2>
<p>This file is the only copy of your private key that will ever leave this server. Anyone who holds it can
post as you. Keep it only if you want to use this identity again later with GnuPG (<code>gpg --import</code>);
otherwise, don’t download it. After one download it is not offered again.</p>
<form method="post" action="/identity/private-key.asc" hx-boost="false">${boundFields(p.viewer)}<button>Download the private key (once)</button></form></section>`
  : html`<p>Your private key was offered once and is no longer available for download.</p>`) : ''}
<p><a href="/identity/public-key.asc" download="cellboard-public-key.asc" hx-boost="false">Download the public key</a></p>
${id.kind === 'browser' ? browserKeyNote(p, html`<p>Exporting or forgetting the key kept in your browser needs JavaScript, which is off here.</p>`) : ''}
<h2>Burn this identity</h2>
<p>Ends the session at once: the server forgets everything it held for it. Posts you made stay published under the pseudonym.${id.kind === 'browser'
  ? html` Burning a browser key also forgets it in this browser, so nothing here can sign as it again: export it first if you mean to keep it.`
  : ''}</p>
<form method="post" action="/identity/burn"${id.kind === 'browser' ? html` data-forget-browser-key` : ''}>${boundFields(p.viewer)}<button>Burn identity</button></form>
${revokeForm(p)}`
}
