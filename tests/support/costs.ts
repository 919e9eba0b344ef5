import { solveChallenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import type { Client } from './app.ts'
import { hiddenFields } from './forms.ts'

// Paying a form's cost as a browser with JavaScript on does (static/pow.js): solve its proof of
// work with altcha-lib. Tests that turn ABUSE_COSTS on use a low difficulty (COSTS_ON).
export const COSTS_ON = { ABUSE_COSTS: 'on', POW_COST: '10', POW_MAX_COUNTER: '20' }

/** Solve a proof-of-work challenge as static/pow.js does in a browser. */
export async function solvePow(pow: string): Promise<string> {
  const challenge = JSON.parse(Buffer.from(pow, 'base64url').toString('utf8'))
  const s = await solveChallenge({ challenge, deriveKey })
  return `${s!.counter}:${s!.derivedKey}`
}

/** The cost fields of the form posting to `action` on a page, paid: its challenge and a solution. */
export async function paidCost(page: string, action: string): Promise<{ cost_pow: string; cost_solution: string }> {
  const pow = hiddenFields(page, action).cost_pow
  if (!pow) throw new Error(`the form posting to ${action} asks no cost`)
  return { cost_pow: pow, cost_solution: await solvePow(pow) }
}

/** Take a disposable identity when ABUSE_COSTS is on: pay its proof of work. */
export async function takePaidIdentity(c: Client): Promise<void> {
  const { text } = await c.get('/identity')
  const { res } = await c.post('/identity/disposable', await paidCost(text, '/identity/disposable'))
  if (res.status !== 303) throw new Error(`take identity: ${res.status}`)
}
