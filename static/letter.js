// A letter to a cell, encrypted in this browser (views/pages/letters.ts): before the form goes,
// the text is padded (letter-padding.js) and encrypted to the cell key with openpgp.js from this
// origin, and only the ciphertext is sent; the text field goes empty. With JavaScript off none of
// this runs: the text goes as it is and the server encrypts it on receipt.
import { beforeSubmit } from './hold-submit.js'
import { padLetter } from './letter-padding.js'

let pgp
const openpgp = async () => (pgp ??= await import('/static/openpgp/openpgp.min.mjs'))

// The text of a letter just sent, kept in this page's memory only (never in storage), so that a
// refused letter (a check that failed, say) comes back into its form instead of being lost.
let pending = null

const DAY_MS = 86_400_000

// What is said comes from the form (data-msg-NAME, in the reader's language, views/pages/letters.ts);
// the English here only stands in for a page without it.
const msg = (form, name, fallback, error) => (form.dataset[name] ?? fallback).replace('{error}', () => error ?? '')

async function encryptLetter(form) {
  const field = form.elements.text
  const text = field.value
  if (text.trim() === '') return // the server says it is empty
  const padded = padLetter(text)
  if (!padded) throw new Error(msg(form, 'msgTooLong', 'The letter is longer than 64 KiB, or holds a NUL character. Shorten it, then send it again.'))
  const status = form.querySelector('.letter-status')
  if (status) status.textContent = msg(form, 'msgEncrypting', 'Encrypting in your browser…')
  const { readKey, createMessage, encrypt, enums } = await openpgp()
  const res = await fetch(form.dataset.key, { credentials: 'same-origin' })
  if (!res.ok) throw new Error(msg(form, 'msgNoKey', 'The cell’s key could not be fetched; nothing was sent.'))
  const encryptionKeys = await readKey({ armoredKey: await res.text() })
  // The literal packet's date says the day only, as the server's does; never compressed (that would undo the padding).
  const message = await createMessage({ binary: padded, format: 'binary', date: new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS) })
  form.elements.ciphertext.value = await encrypt({ message, encryptionKeys, config: { preferredCompressionAlgorithm: enums.compression.uncompressed } })
  padded.fill(0)
  pending = text
  field.value = ''
  if (status) status.textContent = msg(form, 'msgEncrypted', 'Encrypted: sending only the ciphertext.')
}

beforeSubmit({
  applies: (form) => form.matches('[data-encrypt-letter]') && form.elements.text.value.trim() !== '',
  run: (form) =>
    encryptLetter(form).catch((err) => {
      throw new Error(msg(form, 'msgFailed', 'The letter could not be encrypted in your browser, so nothing was sent: {error}', String(err?.message ?? err)))
    }),
})

// The page says the server will see the words until something here encrypts them: this script,
// now that it runs, and on each page htmx swaps in (before it is painted).
const hideServerNotice = () => document.querySelectorAll('[data-server-encrypts]').forEach((n) => (n.hidden = true))
hideServerNotice()
document.addEventListener('htmx:afterSwap', hideServerNotice)

// A send that never arrived (a dropped circuit) brings no swap: the text goes back in its box at
// once, and the ciphertext made from it is dropped (the box emptied and sent would send it).
// Only the letter's own send: another request of the page failing says nothing of the letter's.
document.addEventListener('htmx:sendError', (evt) => {
  const form = evt.detail.elt?.closest?.('form[data-encrypt-letter]')
  if (!form || pending === null) return
  if (form.elements.text.value === '') form.elements.text.value = pending
  form.elements.ciphertext.value = ''
  pending = null
  const status = form.querySelector('.letter-status')
  if (status) status.textContent = ''
})

// After a swap: a refused letter's form gets its text back; any other page forgets it.
document.addEventListener('htmx:afterSettle', () => {
  const form = document.querySelector('form[data-encrypt-letter]')
  if (form && pending !== null && form.elements.text.value === '') form.elements.text.value = pending
  pending = null
})
