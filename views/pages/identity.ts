import { html, type Html } from '../html.ts'
import { csrfField } from '../partials/forms.ts'
import type { Viewer } from '../viewer.ts'

export type IdentityPageProps = { viewer: Viewer; privateKeyOffered: boolean; sessionHours: number; expired: boolean; burned: boolean; next: string | null }

export function identityMain(p: IdentityPageProps): Html {
  const id = p.viewer.identity
  if (!id) {
    return html`<h1>Take an identity</h1>
${p.burned ? html`<p role="status" class="notice">Your identity was burned: the server has forgotten its private key.</p>` : ''}
${p.expired ? html`<p class="form-error" role="alert">Your last identity’s session ended (it was idle too long or was burned). Its private key is forgotten here.</p>` : ''}
<p>Posts on cellboard are signed by a pseudonymous OpenPGP key. Nothing links two keys, and
you can throw a key away whenever you like.</p>
<h2>Disposable identity</h2>
<p>One button, no software needed. The server makes a key pair for you, keeps the private key
only in memory for this session (it is forgotten after ${p.sessionHours} hours idle, or when you
burn the identity), and signs your posts with it. You may download the private key once.</p>
<form method="post" action="/identity/disposable">${csrfField(p.viewer.csrf)}${p.next ? html`<input type="hidden" name="next" value="${p.next}">` : ''}<button>Take a disposable identity</button></form>`
  }
  return html`<h1>Your identity</h1>
${p.next ? html`<p class="notice"><a href="${p.next}">Continue to where you were</a></p>` : ''}
<p>You post as <b>${id.pseudonym.handle}</b> <code>${id.pseudonym.short}</code>.</p>
<p>Fingerprint: <code class="fpr">${id.fingerprint}</code></p>
<p>Kind: ${id.kind === 'disposable' ? 'disposable (the server holds the private key in memory for this session)' : id.kind}</p>
${id.kind === 'disposable' ? (p.privateKeyOffered
  ? html`<section class="once"><h2>Your private key, offered once</h2>
<p>This file is the only copy of your private key that will ever leave this server. Anyone who holds it can
post as you. Keep it only if you want to use this identity again later with GnuPG (<code>gpg --import</code>);
otherwise, don’t download it. After one download it is not offered again.</p>
<p><a href="/identity/private-key.asc" download="cellboard-private-key.asc" hx-boost="false">Download the private key (once)</a></p></section>`
  : html`<p>Your private key was offered once and is no longer available for download.</p>`) : ''}
<p><a href="/identity/public-key.asc" download="cellboard-public-key.asc" hx-boost="false">Download the public key</a></p>
<h2>Burn this identity</h2>
<p>Ends the session at once: the server forgets the private key. Posts you made stay published under the pseudonym.</p>
<form method="post" action="/identity/burn">${csrfField(p.viewer.csrf)}<button>Burn identity</button></form>`
}
