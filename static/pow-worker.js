// A module worker that solves a proof-of-work challenge for static/pow.js, with altcha-lib's solver
// and the browser's own PBKDF2 (WebCrypto), both served from this origin. It speaks the protocol of
// altcha-lib's solveChallengeWorkers: several workers try interleaved counters; the first to find
// the key answers, and the others are told to stop.
import { solveChallenge } from '/static/altcha/pow.js'
import { deriveKey } from '/static/altcha/algorithms/web/pbkdf2.js'

let controller
self.onmessage = async ({ data }) => {
  if (data.type === 'abort') return controller?.abort()
  if (data.type !== 'work') return
  controller = new AbortController()
  try {
    const { challenge, counterMode, counterStart, counterStep, timeout } = data
    self.postMessage(await solveChallenge({ challenge, counterMode, counterStart, counterStep, timeout, controller, deriveKey }))
  } catch (err) {
    self.postMessage({ error: String(err?.message ?? err) })
  }
}
