// cellboard browser keys: make, keep, export and forget an OpenPGP key in this browser; log in by
// signing the server's challenge; sign posts before they are sent. The private key never leaves
// the browser: only public keys, signed challenges and signatures are posted.
// Everything here is an enhancement: with JavaScript off, none of it runs and the forms still work.
import { ballotText, canonicalPostText } from './canonical-text.js'
import { beforeSubmit } from './hold-submit.js'
import { paid } from './pow.js'

const STORE = 'cellboard.browser-key'
let pgp
const openpgp = async () => (pgp ??= await import('/static/openpgp/openpgp.min.mjs'))

const storedKey = () => localStorage.getItem(STORE)

// What is published says only coarse times. A key or signature made here says the UTC day, not the
// second it was made: the server's pages show the hour, and a signature's own time to the second
// would undo that. Never earlier than anything in the key (an imported key may have a subkey or a
// self-signature made today, after midnight), or openpgp refuses to sign.
const DAY_MS = 86_400_000
function newestIn(key) {
  const times = [
    ...key.getKeys().map((k) => k.getCreationTime()),
    ...key.users.flatMap((u) => [...u.selfCertifications, ...u.revocationSignatures].map((sig) => sig.created)),
    ...key.subkeys.flatMap((k) => k.bindingSignatures.map((sig) => sig.created)),
    ...key.directSignatures.map((sig) => sig.created),
  ]
  return Math.max(0, ...times.filter(Boolean).map((t) => t.getTime()))
}
const coarseDate = (key) => new Date(Math.max(Math.floor(Date.now() / DAY_MS) * DAY_MS, key ? newestIn(key) : 0))

async function readStoredKey() {
  const armored = storedKey()
  if (!armored) return null
  const { readPrivateKey } = await openpgp()
  return readPrivateKey({ armoredKey: armored })
}

function canonicalPostTextOf(form) {
  const d = form.dataset
  return canonicalPostText({ site: d.site, cell: d.cell, board: d.board, thread: d.thread, title: d.thread === 'new' ? form.elements.title.value : '', body: form.elements.body.value })
}

async function signPost(form) {
  const key = await readStoredKey()
  if (!key) return // no key here: the server marks the post session-attested
  const { sign, createMessage } = await openpgp()
  const message = await createMessage({ text: canonicalPostTextOf(form) })
  form.elements.signature.value = await sign({ message, signingKeys: key, date: coarseDate(key), detached: true, format: 'armored' })
}

// A ballot: the canonical ballot text (src/domain/questions.ts) for the chosen answer, clearsigned
// into the same field a GnuPG voter pastes into. A ballot already there is kept only if it is for
// the choice ticked now: one signed before a send that was lost or refused stays in that (folded)
// box, and the voter may since have ticked another (the server refuses the two disagreeing).
async function signBallot(form) {
  const key = await readStoredKey()
  const choice = form.querySelector('input[name="choice"]:checked')?.value
  if (!key || !choice || new RegExp(`^choice: ${choice}$`, 'm').test(form.elements.signed.value)) return
  const d = form.dataset
  const text = ballotText({ site: d.site, cell: d.cell, question: d.question, line: d.line, choice })
  const { sign, createCleartextMessage } = await openpgp()
  form.elements.signed.value = await sign({ message: await createCleartextMessage({ text }), signingKeys: key, date: coarseDate(key) })
}

const signerFor = (form) => (form.matches('[data-sign-post]') ? signPost : form.matches('[data-sign-ballot]') ? signBallot : null)

// A signed form waits for its signature before it goes (hold-submit.js holds it, htmx or not).
beforeSubmit({
  applies: (form) => Boolean(signerFor(form)),
  run: (form) => signerFor(form)(form).catch((err) => {
    // The sentence comes from the form (data-msg-sign-failed, in the reader's language).
    throw new Error((form.dataset.msgSignFailed ?? 'Signing in the browser failed: {error}').replace('{error}', () => err?.message ?? err))
  }),
})

// The panel on /identity, built here: it needs this script, so the server's page carries none of
// it (a text browser would show its buttons, doing nothing). It takes the place of the page's note
// for readers without JavaScript, and the form token and `next` that note carries.
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children)
  return node
}
const button = (className, text) => el('button', { type: 'button', className }, text)

// What the panel says comes from the page (data-msg-NAME on the note, in the reader's language);
// the English here only stands in for a page that does not carry it.
let said = {}
const msg = (name, fallback, error) => (said[name] ?? fallback).replace('{error}', () => error ?? '')

function buildPanel(note) {
  said = { ...note.dataset }
  const root = el('section', { id: 'browser-key' },
    el('h2', {}, msg('msgHeading', 'Browser key')),
    el('p', {}, msg('msgIntro', 'A key made and kept in this browser (its storage for this site). Your posts are signed here before they are sent; the private key never leaves the browser. Export it to keep it; forget it with one button.')),
    el('p', { className: 'bk-status' }),
    el('div', { className: 'bk-none' },
      button('bk-create', msg('msgCreate', 'Create a browser key')), ' ',
      el('details', {},
        el('summary', {}, msg('msgImportSummary', 'Import a private key')),
        el('label', { htmlFor: 'bk-import' }, msg('msgImportLabel', 'Armored private key (unprotected)')),
        el('textarea', { id: 'bk-import', rows: 6 }),
        button('bk-import', msg('msgImport', 'Import')))),
    el('div', { className: 'bk-some', hidden: true },
      el('p', {}, msg('msgKey', 'Key:'), ' ', el('code', { className: 'bk-fpr' })),
      button('bk-login', msg('msgLogin', 'Log in with the browser key')), ' ',
      button('bk-export', msg('msgExport', 'Export the private key')), ' ',
      button('bk-forget', msg('msgForget', 'Forget the key in this browser'))))
  root.querySelector('.bk-status').setAttribute('role', 'status')
  root.dataset.csrf = note.dataset.csrf ?? ''
  if (note.dataset.next) root.dataset.next = note.dataset.next
  note.replaceWith(root)
  return root
}

async function initPanel(root) {
  const $ = (sel) => root.querySelector(sel)
  const status = (text) => ($('.bk-status').textContent = text)

  async function refresh() {
    const key = await readStoredKey().catch(() => null)
    $('.bk-none').hidden = Boolean(key)
    $('.bk-some').hidden = !key
    if (key) $('.bk-fpr').textContent = key.getFingerprint()
  }

  $('.bk-create')?.addEventListener('click', async () => {
    status(msg('msgMaking', 'Making a key…'))
    const { generateKey } = await openpgp()
    const { privateKey } = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'cellboard browser key' }], date: coarseDate(), format: 'armored' })
    localStorage.setItem(STORE, privateKey)
    status(msg('msgNewKept', 'A new key is kept in this browser.'))
    await refresh()
  })

  $('.bk-import')?.addEventListener('click', async () => {
    const { readPrivateKey } = await openpgp()
    try {
      const key = await readPrivateKey({ armoredKey: $('#bk-import').value })
      if (!key.isDecrypted()) throw new Error(msg('msgPassphrase', 'the key is protected by a passphrase; export it without one'))
      localStorage.setItem(STORE, key.armor())
      $('#bk-import').value = ''
      status(msg('msgKept', 'The key is kept in this browser.'))
      await refresh()
    } catch (err) {
      status(msg('msgImportFailed', 'That key could not be imported: {error}', err.message))
    }
  })

  $('.bk-export')?.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([storedKey() ?? ''], { type: 'application/pgp-keys' }))
    const a = Object.assign(document.createElement('a'), { href: url, download: 'cellboard-browser-key.asc' })
    document.body.append(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  })

  $('.bk-forget')?.addEventListener('click', async () => {
    localStorage.removeItem(STORE)
    status(msg('msgForgotten', 'The key is forgotten in this browser.'))
    await refresh()
    // A session logged in with the forgotten key can no longer sign: end it too.
    document.querySelector('form[action="/identity/burn"]')?.requestSubmit()
  })

  $('.bk-login')?.addEventListener('click', async () => {
    status(msg('msgSigning', 'Signing the login challenge…'))
    const key = await readStoredKey()
    const { sign, createCleartextMessage } = await openpgp()
    const challenge = await (await fetch('/identity/challenge', { credentials: 'same-origin' })).text()
    const signed = await sign({ message: await createCleartextMessage({ text: challenge }), signingKeys: key, date: coarseDate(key) })
    const fields = { _csrf: root.dataset.csrf, via: 'browser', public_key: key.toPublic().armor(), signed, next: root.dataset.next ?? '' }
    // A key's first login costs a check: the one of the page's login form, solved in this browser
    // (a key already published here skips it, but the browser cannot know that).
    const loginForm = document.querySelector('form[action="/identity/login"]')
    if (loginForm?.querySelector('.cost')) {
      status(msg('msgFinishing', 'Finishing the check this browser does…'))
      try {
        await paid(loginForm)
      } catch (err) {
        return status(err.message)
      }
      for (const name of ['cost_pow', 'cost_solution']) fields[name] = loginForm.querySelector(`input[name="${name}"]`).value
    }
    const form = Object.assign(document.createElement('form'), { method: 'post', action: '/identity/login' })
    for (const [name, value] of Object.entries(fields)) form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }))
    document.body.append(form)
    form.submit()
  })

  await refresh()
}

// Burning an identity held by a browser key throws the key away too: after a burn, nothing in this
// browser may still sign as (or prove authorship of) the burned key. Before the form goes, with or
// without htmx (capture phase: first of all listeners).
document.addEventListener('submit', (evt) => {
  if (evt.target instanceof HTMLFormElement && evt.target.matches('[data-forget-browser-key]')) localStorage.removeItem(STORE)
}, true)

function init() {
  const note = document.getElementById('browser-key-off')
  if (note && !document.getElementById('browser-key')) initPanel(buildPanel(note))
}
init()
// hx-boost swaps the body without a page load: set the panel up again when it appears.
document.addEventListener('htmx:afterSettle', init)
