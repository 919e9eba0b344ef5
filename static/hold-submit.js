// Work a form waits for before it goes: the browser key signs a post or a ballot
// (browser-key.js), the proof of work a form costs is solved (pow.js). Each module adds a step;
// one listener holds the submit, with htmx or without, until every step that applies to the form
// is done, then sends the form once. With JavaScript off none of this runs and forms go as they are.
const steps = []

/** A step: `applies(form)` says at once whether the form must wait for it, `run(form)` does the work. */
export function beforeSubmit(step) {
  steps.push(step)
}

const runSteps = (form) => {
  const todo = steps.filter((s) => s.applies(form))
  return todo.length === 0 ? null : Promise.all(todo.map((s) => s.run(form)))
}

// With htmx (every form is boosted or hx-post): hold the request until the work is done.
document.addEventListener('htmx:confirm', (evt) => {
  const form = evt.detail.elt
  const work = form instanceof HTMLFormElement && runSteps(form)
  if (!work) return
  evt.preventDefault()
  work.then(() => evt.detail.issueRequest(true), (err) => showFormError(form, err))
})
// Without htmx (it failed to load): do the work, then submit as a plain form (form.submit() fires
// no submit event, so this does not come back here).
document.addEventListener('submit', (evt) => {
  const form = evt.target
  if (window.htmx || !(form instanceof HTMLFormElement)) return
  const work = runSteps(form)
  if (!work) return
  evt.preventDefault()
  work.then(() => form.submit(), (err) => showFormError(form, err))
})

// A request that never reached the server (a Tor circuit dropped on the way): htmx leaves the
// page as it was and says nothing. The form says so, in the reader's language (its form-token
// field carries the sentence, data-msg-send-failed); the text stays in it, to send again.
// A form with no box typed into (burning an identity) is told so without "your text".
const formOf = (elt) => (elt instanceof HTMLFormElement ? elt : elt?.closest?.('form'))
document.addEventListener('htmx:sendError', (evt) => {
  const form = formOf(evt.detail.elt)
  const token = form?.elements?._csrf?.dataset
  const said = form?.querySelector('textarea, input[type="text"], input:not([type])') ? token?.msgSendFailed : (token?.msgSendFailedPlain ?? token?.msgSendFailed)
  if (form && said) showFormError(form, new Error(said))
})

// Too large as sent (413): the reason goes in the form's message slot (src/app.ts), and what an
// earlier refusal said beside the fields goes, as it does when the form comes back whole.
document.addEventListener('htmx:beforeSwap', (evt) => {
  const form = formOf(evt.detail.requestConfig?.elt)
  if (evt.detail.xhr?.status === 413 && form) clearOutcome(form)
})

// A form swapped in with a field told what is wrong (a refusal): the focus goes to that field, so
// a keyboard or screen-reader user is where the problem is, not left on <body> at the top of the
// page to tab all the way down again (a JS-on walkthrough). The message itself is announced (role=alert).
// A form that replaced itself (a reply refused: outerHTML) is found again by its id.
document.addEventListener('htmx:afterSettle', (evt) => {
  const target = evt.detail.target
  const root = target?.isConnected ? target : target?.id ? document.getElementById(target.id) : null
  const field = root?.querySelector?.('[aria-invalid="true"]')
  if (field instanceof HTMLElement && !field.contains(document.activeElement)) field.focus()
})

/** What an earlier outcome said in the form (a refusal's messages, a held error), gone: each outcome replaces the one before. */
function clearOutcome(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((p) => p.remove())
  form.querySelectorAll('[aria-invalid]').forEach((f) => {
    f.removeAttribute('aria-invalid')
    if (f.getAttribute('aria-describedby')?.endsWith('-error')) f.removeAttribute('aria-describedby')
  })
}

export function showFormError(form, err) {
  clearOutcome(form)
  let p = form.querySelector('.held-error')
  if (!p) {
    p = document.createElement('p')
    p.className = 'form-error held-error'
    p.setAttribute('role', 'alert')
    form.prepend(p)
  }
  p.textContent = err?.message ?? String(err)
}
