// npx tsx bench/worst-input.ts — what the worst pasted input costs the server, per request
// (BENCHMARKS.md, "Worst pasted input", says what is measured and how).
//
//   BENCH_N=5 BENCH_WARM=1 npx tsx bench/worst-input.ts      quick check
//
// The app runs in this process on the tests' board and is called by the tests' Client (no sockets);
// the inputs are tests/support/costly.ts's. Whatever a request needs first is made before the clock
// starts; its CPU is counted until the process is idle again. The same script run on the commit
// before a change gives the "before" figures.
// Environment: BENCH_N=40 BENCH_WARM=5 BENCH_ONLY='<case name prefix>|<another>' (case names hold commas)
import { randomBytes } from 'node:crypto'
import * as openpgp from 'openpgp'
import { canonicalPostText } from '../src/domain/posts.ts'
import { ballotText } from '../src/domain/questions.ts'
import { addRosterKey } from '../src/services/cells.ts'
import { makeBoard, type Client } from '../tests/support/app.ts'
import { clearsignTimes, copies, detachedTimes, revocationTimes, rsaKeyWithExponent, withSelfSignatures } from '../tests/support/costly.ts'
import { heldKey, unescape } from '../tests/support/keys.ts'
import { fmt, header, log, logIn, median, num, pct, table } from './harness.ts'

const N = Math.max(1, num('BENCH_N', 40))
const WARM = num('BENCH_WARM', 5)
const ONLY = (process.env.BENCH_ONLY ?? '').split('|').map((s) => s.trim()).filter(Boolean)
const SITE = 'cellboard.local'
const KiB = 1024

type Key = { publicKey: string; privateKey: string | openpgp.PrivateKey }
const eccArmored = () => openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'armored' })

/** A fresh key and its certificate, its public key carrying the revocation signature n times. */
async function keyWithRevocations(n: number): Promise<{ publicKey: string; certificate: string }> {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'object' })
  const { publicKey: revoked } = await openpgp.revokeKey({ key: k.publicKey, revocationCertificate: k.revocationCertificate, format: 'object' })
  revoked.revocationSignatures = [...copies(revoked.revocationSignatures[0]!, n)]
  return { publicKey: revoked.armor(), certificate: k.revocationCertificate }
}

/** The largest n ≤ max whose armored result still fits `limit` (16 KiB: what a pasted key may have). */
async function mostThatFit(max: number, build: (n: number) => Promise<string>, limit = 16 * KiB): Promise<{ n: number; armored: string }> {
  for (let n = max; n > 1; n--) {
    const armored = await build(n)
    if (Buffer.byteLength(armored) <= limit) return { n, armored }
  }
  throw new Error('nothing fits')
}

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
/** Until the process is idle again: 20 ms in which it used < 0.2 ms of CPU (at most 30 s). */
async function settled(): Promise<void> {
  for (let last = cpuMs(), until = Date.now() + 30_000; Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 20))
    const now = cpuMs()
    if (now - last < 0.2) return
    last = now
  }
}

type Case = { name: string; prepare: () => Promise<{ c: Client; path: string; fields: Record<string, string> }> }

log(header('bench/worst-input.ts start'))
const board = await makeBoard()
try {
  const t0 = performance.now()
  const honest = await heldKey()
  const rsa = await rsaKeyWithExponent(3000)
  const manySelf = await mostThatFit(150, (n) => withSelfSignatures(honest.publicKey, n))
  const capSelf = await withSelfSignatures(honest.publicKey, 15) // and the subkey's binding: 16
  const manyRevocations = (await mostThatFit(150, async (n) => (await keyWithRevocations(n)).publicKey)).n
  const fresh = async () => {
    const c = board.client()
    await c.get('/identity')
    return c
  }
  const challenge = async (c: Client) => (await c.get('/identity/challenge')).text
  const loggedIn = (key: Key & { privateKey: string }, via: 'gpg' | 'browser' = 'gpg') => logIn(board.client(), key, via)
  // A poster (gpg), a browser-key poster, and a voter on an open question that one ballot cannot
  // settle (three voters on the roster, quorum two).
  const poster = await loggedIn(honest)
  await poster.get('/c/lobby/general')
  const thread = (await poster.post('/c/lobby/general', { title: 'Worst input', body: 'The thread the benchmark replies to.' })).res.headers.get('location')!
  const threadId = Number(thread.split('/').pop())
  await poster.get(thread)
  const browserPoster = await loggedIn(honest, 'browser')
  await browserPoster.get(thread)
  const voterKey = await heldKey()
  for (const k of [voterKey, await heldKey(), await heldKey()]) await addRosterKey(board.deps, { cell: 'lobby', armoredKey: k.publicKey, tier: 'voter' })
  const voter = await loggedIn(voterKey)
  const raised = (await voter.post('/c/lobby/questions', { kind: 'amend_line', change: 'add', text: 'Benchmark principle.', argument: 'For the benchmark.' })).res.headers.get('location') ?? ''
  const question = Number(/\/questions\/(\d+)$/.exec(raised)?.[1])
  if (!question) throw new Error(`raising the question failed: ${raised}`)
  await voter.get(raised)
  const replyText = (body: string) => canonicalPostText({ site: SITE, cell: 'lobby', board: 'general', thread: threadId, title: null, body })
  const reply = () => `Reply ${randomBytes(4).toString('hex')}`
  const ballot = ballotText({ site: SITE, cell: 'lobby', question, line: 1, choice: 'abstain' })
  // As many signatures as fit the 8 KiB a signed challenge or ballot, a detached signature or a
  // revocation certificate may have since issue 9: refused for their number, not their size.
  const fit = {
    login: (await mostThatFit(60, async (n) => clearsignTimes(honest.privateKey, await challenge(board.client()), n), 8 * KiB)).n,
    browser: (await mostThatFit(60, (n) => detachedTimes(honest.privateKey, replyText(reply()), n), 8 * KiB)).n,
    ballot: (await mostThatFit(60, (n) => clearsignTimes(voterKey.privateKey, ballot, n), 8 * KiB)).n,
    revocation: (await mostThatFit(60, async (n) => revocationTimes((await eccArmored()).revocationCertificate, n), 8 * KiB)).n,
  }
  // Whether a case is measured after others that verified many signatures changed its figure by
  // half (the 16-signature key: 8 ms after them, 15 ms alone). So warm openpgp's verification up.
  const warmText = await clearsignTimes(honest.privateKey, 'warm-up', 1)
  const warmKey = await openpgp.readKey({ armoredKey: honest.publicKey })
  for (let k = 0; k < 300; k++) await openpgp.verify({ message: await openpgp.readCleartextMessage({ cleartextMessage: warmText }), verificationKeys: warmKey, expectSigned: true })
  log(`inputs made and verification warmed up in ${fmt((performance.now() - t0) / 1000, 1)} s (not measured)`)

  const loginCase = (name: string, key: Key, publicKey: string, n: number): Case => ({
    name,
    prepare: async () => {
      const c = await fresh()
      return { c, path: '/identity/login', fields: { via: 'gpg', public_key: publicKey, signed: await clearsignTimes(key.privateKey, await challenge(c), n) } }
    },
  })
  // Sent again from a browser without a session (with one, the identity page has no login form).
  const usedPaste = await (async () => {
    const c = await fresh()
    const fields = { via: 'gpg', public_key: honest.publicKey, signed: await clearsignTimes(honest.privateKey, await challenge(c), 1) }
    if ((await c.post('/identity/login', fields)).res.status !== 303) throw new Error('the paste to replay did not log in')
    return fields
  })()
  const postCase = (name: string, c: Client, fields: () => Promise<Record<string, string>>): Case => ({ name, prepare: async () => ({ c, path: thread, fields: await fields() }) })
  const cases: Case[] = [
    loginCase('login, honest (1 signature)', honest, honest.publicKey, 1),
    loginCase('login, 200 Ed25519 signatures', honest, honest.publicKey, 200),
    loginCase(`login, ${fit.login} signatures (8 KiB)`, honest, honest.publicKey, fit.login),
    loginCase('login, RSA-3072 e≈3000 bits, 60 signatures', rsa, rsa.publicKey, 60),
    loginCase(`login, key with ${manySelf.n} self-signatures (16 KiB)`, honest, manySelf.armored, 1),
    loginCase('login, key with 16 signatures (the cap)', honest, capSelf, 1),
    { name: 'login, replayed paste (already used)', prepare: async () => ({ c: await fresh(), path: '/identity/login', fields: usedPaste }) },
    postCase('post (gpg), honest (1 signature)', poster, async () => ({ body: '', signed: await clearsignTimes(honest.privateKey, replyText(reply()), 1) })),
    postCase('post (gpg), 200 signatures', poster, async () => ({ body: '', signed: await clearsignTimes(honest.privateKey, replyText(reply()), 200) })),
    ...[200, fit.browser].map((n) => postCase(`post (browser), ${n} signatures${n === 200 ? '' : ' (8 KiB)'}`, browserPoster, async () => {
      const body = reply()
      return { body, signature: await detachedTimes(honest.privateKey, replyText(body), n) }
    })),
    ...[200, fit.ballot].map((n): Case => ({
      name: `ballot, ${n} signatures${n === 200 ? '' : ' (8 KiB)'}`,
      prepare: async () => ({ c: voter, path: `/c/lobby/questions/${question}/ballot`, fields: { signed: await clearsignTimes(voterKey.privateKey, ballot, n) } }),
    })),
    ...[200, fit.revocation].map((n): Case => ({
      name: `revocation, certificate with ${n} signatures${n === 200 ? '' : ' (8 KiB)'}`,
      prepare: async () => {
        const k = await eccArmored()
        return { c: await fresh(), path: '/identity/revoke', fields: { public_key: k.publicKey, certificate: await revocationTimes(k.revocationCertificate, n) } }
      },
    })),
    {
      name: `revocation, key carrying ${manyRevocations} revocations (16 KiB)`,
      prepare: async () => {
        const k = await keyWithRevocations(manyRevocations)
        return { c: await fresh(), path: '/identity/revoke', fields: { public_key: k.publicKey, certificate: k.certificate } }
      },
    },
  ]

  const rows: string[] = []
  for (const c of cases.filter((c) => ONLY.length === 0 || ONLY.some((o) => c.name.startsWith(o)))) {
    const cpu: number[] = []
    const wall: number[] = []
    const answers = new Map<string, number>()
    for (let k = 0; k < WARM + N; k++) {
      const { c: client, path, fields } = await c.prepare()
      const body = new URLSearchParams({ _csrf: client.csrf, ...fields }).toString() // made before the clock starts
      await settled()
      const c0 = cpuMs()
      const w0 = performance.now()
      const res = await client.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      const text = await res.text()
      const w = performance.now() - w0
      await settled()
      const d = cpuMs() - c0
      client.forms.saw(text)
      if (k < WARM) continue
      cpu.push(d)
      wall.push(w)
      const answer = `${res.status} ${res.status === 303 ? `→ ${res.headers.get('location')?.replace(/[0-9]+/g, 'N')}` : unescape(/role="alert">([^<]+)/.exec(text)?.[1] ?? '').slice(0, 70)}`
      answers.set(answer, (answers.get(answer) ?? 0) + 1)
    }
    const answer = [...answers].map(([a, n]) => (answers.size > 1 ? `${n}× ${a}` : a)).join('; ')
    rows.push(`${c.name} | **${fmt(median(cpu), 2)}** | ${fmt(pct(cpu, 0.9), 2)} | ${fmt(median(wall), 2)} | ${answer}`)
    log(`${c.name}: CPU median ${fmt(median(cpu), 2)} ms, p90 ${fmt(pct(cpu, 0.9), 2)} ms, wall median ${fmt(median(wall), 2)} ms; ${answer}`)
  }
  log('')
  table(`case (${N} requests each, after ${WARM} unmeasured) | CPU ms median | CPU ms p90 | wall ms median | answer`, rows)
} finally {
  await board.close()
}
log(`\n${header('bench/worst-input.ts end')}`)
