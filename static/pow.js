// The proof of work a form costs (views/partials/cost.ts, src/services/costs.ts): solved in this
// browser as soon as the form appears, with nothing for the person to do, in module workers (one
// per core, up to four) running altcha-lib from this origin. The solution goes in the form's hidden
// `cost_solution` field, and a submit waits for it (hold-submit.js). One challenge is solved at a
// time, in the order the forms appear, unless a form is sent first: its own goes next.
import { beforeSubmit } from './hold-submit.js'

const jobs = new Map() // challenge → { promise, start, started }
const queue = []
let running = null

function next() {
  if (running || queue.length === 0) return
  running = queue.shift()
  running.started = true
  running.start()
  const done = () => {
    running = null
    next()
  }
  running.promise.then(done, done)
}

function solveInTurn(token, urgent) {
  let job = jobs.get(token)
  if (!job) {
    let start
    const promise = new Promise((resolve, reject) => (start = () => solve(token).then(resolve, reject)))
    job = { promise, start, started: false }
    jobs.set(token, job)
    queue.push(job)
  }
  if (urgent && !job.started) queue.unshift(...queue.splice(queue.indexOf(job), 1))
  next()
  return job.promise
}

async function solve(token) {
  // WebCrypto exists only in a secure context: HTTPS, an onion address in Tor Browser, or localhost.
  if (!globalThis.crypto?.subtle) throw Object.assign(new Error('this page is not a secure context'), { said: 'msgInsecure' })
  const challenge = JSON.parse(atob(token.replace(/-/g, '+').replace(/_/g, '/')))
  const { solveChallengeWorkers, solveChallenge } = await import('/static/altcha/pow.js')
  let solution
  try {
    solution = await solveChallengeWorkers({
      challenge,
      concurrency: Math.min(navigator.hardwareConcurrency || 2, 4),
      createWorker: () => new Worker('/static/pow-worker.js', { type: 'module' }),
    })
  } catch {
    // No module workers here: solve in the page, which altcha-lib yields to now and then.
    const { deriveKey } = await import('/static/altcha/algorithms/web/pbkdf2.js')
    solution = await solveChallenge({ challenge, deriveKey })
  }
  if (!solution) throw Object.assign(new Error('it took too long'), { said: 'msgSlow' })
  return `${solution.counter}:${solution.derivedKey}`
}

const costIn = (root) => {
  const box = root.matches?.('.cost') ? root : root.querySelector('.cost')
  const challenge = box?.querySelector('input[name="cost_pow"]')
  const solution = box?.querySelector('input[name="cost_solution"]')
  return challenge && solution ? { box, challenge, solution, status: box.querySelector('.cost-status') } : null
}

const say = (cost, text) => {
  if (cost.status) cost.status.textContent = text
}
// What the status line says comes from the page (data-msg-NAME on the cost, in the reader's
// language, views/partials/cost.ts); the English here only stands in for a page without it.
const msg = (cost, name, fallback, error) => (cost.box.dataset[name] ?? fallback).replace('{error}', () => error ?? '')

// When the proof of work cannot run here, the picture and question meant for browsers without
// JavaScript are shown instead (the server takes either). They are the server's own markup, kept as
// text inside <noscript> while scripts run.
function showPuzzle(cost) {
  cost.box.dataset.puzzle = '1'
  const noscript = cost.box.querySelector('noscript')
  if (!noscript) return
  const t = document.createElement('template')
  t.innerHTML = noscript.textContent
  noscript.replaceWith(t.content)
}

function pay(cost, urgent) {
  return solveInTurn(cost.challenge.value, urgent).then(
    (value) => {
      cost.solution.value = value
      say(cost, msg(cost, 'msgChecked', 'Checked: ready to send.'))
    },
    (err) => {
      if (!cost.box.dataset.puzzle) showPuzzle(cost)
      const why = err?.said ? msg(cost, err.said, err.message) : String(err?.message ?? err)
      say(cost, msg(cost, 'msgFailedStatus', 'Your browser could not do the check by itself ({error}). Type the letters in the picture, or answer the question, instead.', why))
      throw new Error(msg(cost, 'msgFailed', 'The check did not run in this browser: type the letters in the picture, or answer the question, then send the form again.'))
    },
  )
}

/** Resolves once the cost of the form (or of the element holding it) is paid; at once if it has none. */
export function paid(root) {
  const cost = costIn(root)
  if (!cost || cost.solution.value) return Promise.resolve()
  say(cost, msg(cost, 'msgSending', 'Sending as soon as the check is done…'))
  return pay(cost, true)
}

// Start on every cost on the page, and on those an htmx swap brings (a refused form comes back
// with a fresh challenge).
function startAll() {
  for (const box of document.querySelectorAll('.cost')) {
    const cost = costIn(box)
    if (!cost || cost.solution.value || box.dataset.started) continue
    box.dataset.started = '1'
    say(cost, msg(cost, 'msgWorking', 'Your browser is doing a short check (a second or two, nothing to do)…'))
    pay(cost, false).catch(() => {}) // the status line says what to do
  }
}
startAll()
document.addEventListener('htmx:afterSettle', startAll)

// htmx parses a response in a document where no script runs, so the <noscript> part of a swapped-in
// form becomes real elements, and its picture would load (and use up the server's drawing budget)
// once swapped in. Script runs here: the <noscript> parts are not for this page; drop them first.
document.addEventListener('htmx:beforeSwap', (e) => {
  const r = e.detail.serverResponse
  if (typeof r === 'string' && r.includes('<noscript')) e.detail.serverResponse = r.replace(/<noscript>[\s\S]*?<\/noscript>/g, '')
})

// A form waits for its solution; once the picture and question show instead, it goes as it is.
beforeSubmit({
  applies: (form) => {
    const cost = costIn(form)
    return Boolean(cost && !cost.solution.value && !cost.box.dataset.puzzle)
  },
  run: paid,
})
