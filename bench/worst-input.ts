// npx tsx bench/worst-input.ts — what the worst pasted input costs the server, per request.
//
// The app runs in this process (createApp over a fresh SQLite DATA_DIR, as bench/lib.ts openDeps
// builds it) and is called through app.request(), as the HTTP tests do: no sockets, so nothing
// but the server's own work is counted. Each measured request is one POST; its cost is
// process.cpuUsage() (user + system, all threads: openpgp's RSA checks run in libuv's pool) from
// before app.request() until the process is idle again after the answer (see settled()); wall ms
// is until its body is read. Whatever a request needs first (a fresh challenge, a fresh key,
// signing) is made before that and not counted. openpgp's verification is warmed
// up first (300 verifications); then each case runs BENCH_WARM times unmeasured, then BENCH_N
// times. The table gives the median and the 90th percentile of CPU ms, the median wall ms, and
// the answers' status codes with the first words of the message.
//
// The cases, as an attacker (or an honest person, for scale) would send them:
//   login, honest                    a fresh challenge clearsigned once with an ecc key (reference)
//   login, 200 signatures            the same, with its one signature packet repeated 200 times
//   login, N signatures (8 KiB)      as many as fit in the 8 KiB a signed challenge may have since
//                                    issue 9 (so they are refused for their number, not their
//                                    size); the same for browser posts, ballots and certificates
//   login, RSA-3072 e≈3000 bits      a key whose public exponent is a 3000-bit number (a real key
//                                    pair: d is computed for it, so its self-signature and the 60
//                                    signatures in the paste are all valid), 60 signatures
//   login, key with N self-sigs      an ecc key whose user ID carries its self-signature as many
//                                    times as a 16 KiB key holds
//   login, key with 16 signatures    the same with 15, beside its subkey's binding: the most the
//                                    key policy accepts after issue 9 (before it, any number)
//   login, replayed paste            an honest paste that already logged in, sent again
//   post (gpg), 200 signatures       a clearsigned reply with its signature repeated 200 times
//   post (browser), 200 signatures   a reply whose detached signature holds 200 packets
//   post (gpg), honest               one signature (reference)
//   ballot, 200 signatures           a clearsigned ballot with its signature repeated 200 times
//   revocation, 200 signatures       a revocation certificate with its signature repeated 200 times
//   revocation, key with N revocations  the key pasted beside it carries its revocation as many
//                                    times as 16 KiB holds
// Repeated signatures are copies of one valid signature: openpgp.js checks every copy.
//
// The same script run on the commit before a change gives the "before" figures.
// Environment: BENCH_N=40 BENCH_WARM=5 BENCH_ONLY='<case name prefix>|<another>' (case names hold commas)
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { createApp } from '../src/app.ts'
import { canonicalPostText } from '../src/domain/posts.ts'
import { ballotText } from '../src/domain/questions.ts'
import { addRosterKey } from '../src/services/cells.ts'
import { raiseQuestion } from '../src/services/questions/raise.ts'
import { fmt, header, log, median, num, openDeps, pct, unescapeHtml } from './lib.ts'

const N = Math.max(1, num('BENCH_N', 40))
const WARM = num('BENCH_WARM', 5)
const ONLY = (process.env.BENCH_ONLY ?? '').split('|').map((s) => s.trim()).filter(Boolean)
const SITE = 'cellboard.local'

// ---------- an in-process browser: cookies and the form token, as tests/support/app.ts ----------

type App = ReturnType<typeof createApp>
class Browser {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(private readonly app: App) {}
  async request(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await this.app.request(path, { ...init, headers })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || attrs.some((a) => /max-age=0/i.test(a))) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const text = await res.text()
    const m = /name="_csrf" value="([^"]+)"/.exec(text)
    if (m) this.csrf = m[1]!
    return { status: res.status, text, location: res.headers.get('location') }
  }
  get = (path: string) => this.request(path)
  /** The form body is built before the clock starts; only the request is measured. */
  form = (fields: Record<string, string>) => new URLSearchParams({ _csrf: this.csrf, ...fields }).toString()
  post = (path: string, body: string) => this.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  challenge = async () => (await this.get('/identity/challenge')).text
}

// ---------- inputs ----------

type Key = { publicKey: string; privateKey: openpgp.PrivateKey }
const eccKey = async (): Promise<Key> => {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'object' })
  return { publicKey: k.publicKey.armor(), privateKey: k.privateKey }
}

/** n copies of one signature packet, each read anew (so nothing is cached between them). */
function copies(sig: openpgp.SignaturePacket, n: number): openpgp.PacketList<openpgp.SignaturePacket> {
  const bytes = sig.write()
  const list = new openpgp.PacketList<openpgp.SignaturePacket>()
  for (let i = 0; i < n; i++) {
    const p = new openpgp.SignaturePacket()
    p.read(bytes)
    list.push(p)
  }
  return list
}

// openpgp's typings leave out the constructor that takes a text and a signature (src/pgp.ts does the same).
const Cleartext = openpgp.CleartextMessage as unknown as new (text: string, signature: openpgp.Signature) => openpgp.CleartextMessage

/** Clearsigned as gpg writes it (LF line ends), with its signature packet repeated n times. */
async function clearsignTimes(key: openpgp.PrivateKey, text: string, n: number): Promise<string> {
  const one = (await openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys: key, format: 'object' })) as unknown as { signature: openpgp.Signature; armor(): string }
  const message = n === 1 ? one : new Cleartext(text, new openpgp.Signature(copies(one.signature.packets[0] as openpgp.SignaturePacket, n)))
  return message.armor().replace(/\r\n/g, '\n')
}

async function detachedTimes(key: openpgp.PrivateKey, text: string, n: number): Promise<string> {
  const one = await openpgp.sign({ message: await openpgp.createMessage({ text }), signingKeys: key, detached: true, format: 'object' })
  return new openpgp.Signature(copies(one.packets[0] as openpgp.SignaturePacket, n)).armor()
}

/** The public key with its user ID's self-signature repeated n times. */
async function withSelfSignatures(key: Key, n: number): Promise<string> {
  const pub = await openpgp.readKey({ armoredKey: key.publicKey })
  pub.users[0]!.selfCertifications = [...copies(pub.users[0]!.selfCertifications[0]!, n)]
  return pub.armor()
}

const big = (u: Uint8Array) => BigInt(`0x${Buffer.from(u).toString('hex') || '0'}`)
const bytesOf = (x: bigint) => new Uint8Array(Buffer.from(x.toString(16).padStart(Math.ceil(x.toString(16).length / 2) * 2, '0'), 'hex'))
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b))
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n]
  while (r1 !== 0n) {
    const q = r0 / r1
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  return ((s0 % m) + m) % m
}

/**
 * An RSA-3072 key pair whose public exponent is a random 3000-bit number, with d computed for it,
 * re-certified (reformatKey) so its self-signature is valid: verifying anything it signed costs a
 * 3000-bit modular exponentiation instead of a 17-bit one. OpenSSL allows exponents over 64 bits
 * only for moduli of at most 3072 bits, hence exactly 3072.
 */
async function rsaBigExponentKey(): Promise<Key> {
  const { privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 3072, userIDs: [{ name: 'bench' }], subkeys: [], format: 'object' })
  const packet = privateKey.keyPacket as unknown as { publicParams: Record<string, Uint8Array>; privateParams: Record<string, Uint8Array>; computeFingerprintAndKeyID(): Promise<void> }
  const p = big(packet.privateParams.p!)
  const q = big(packet.privateParams.q!)
  const phi = (p - 1n) * (q - 1n)
  let e: bigint
  do e = (big(randomBytes(375)) & ((1n << 3000n) - 1n)) | (1n << 2999n) | 1n
  while (gcd(e, phi) !== 1n)
  packet.publicParams.e = bytesOf(e)
  packet.privateParams.d = bytesOf(inverse(e, phi))
  await packet.computeFingerprintAndKeyID()
  const re = await openpgp.reformatKey({ privateKey, userIDs: [{ name: 'bench' }], format: 'object' })
  return { publicKey: re.publicKey.armor(), privateKey: re.privateKey }
}

/** A revocation certificate as openpgp (and gpg) write it, with its signature repeated n times. */
async function revocationTimes(certificate: string, n: number): Promise<string> {
  const sig = (await openpgp.readSignature({ armoredSignature: certificate.replace(/PUBLIC KEY BLOCK/g, 'SIGNATURE') })).packets[0]!
  return openpgp.armor(openpgp.enums.armor.publicKey, copies(sig, n).write())
}

/** A fresh key and its certificate, its public key carrying the revocation signature n times. */
async function keyWithRevocations(n: number): Promise<{ publicKey: string; certificate: string }> {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'object' })
  const { publicKey: revoked } = await openpgp.revokeKey({ key: k.publicKey, revocationCertificate: k.revocationCertificate, format: 'object' })
  revoked.revocationSignatures = [...copies(revoked.revocationSignatures[0]!, n)]
  return { publicKey: revoked.armor(), certificate: k.revocationCertificate }
}

/** The largest n ≤ max whose armored result still fits `limit` (16 KiB: what a pasted key may have). */
async function mostThatFit(max: number, build: (n: number) => Promise<string>, limit = 16 * 1024): Promise<{ n: number; armored: string }> {
  for (let n = max; n > 1; n--) {
    const armored = await build(n)
    if (Buffer.byteLength(armored) <= limit) return { n, armored }
  }
  throw new Error('nothing fits')
}

// ---------- measuring ----------

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
/**
 * openpgp.verify answers as soon as any one signature verifies (expectSigned) while it keeps
 * checking the others, on this thread and in libuv's pool, after the response has gone. So the
 * CPU of a request is counted until the process is idle again: 20 ms in which it used < 0.2 ms.
 */
async function settled(): Promise<void> {
  let last = cpuMs()
  for (;;) {
    await new Promise((r) => setTimeout(r, 20))
    const now = cpuMs()
    if (now - last < 0.2) return
    last = now
  }
}

// ---------- the run ----------

type Case = { name: string; prepare: () => Promise<{ b: Browser; path: string; body: string }> }

async function main() {
  log(header('bench/worst-input.ts start'))
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-bench-worst-'))
  const { deps, close } = await openDeps(dir)
  const app = createApp(deps)
  try {
    const t0 = performance.now()
    const honest = await eccKey()
    const rsa = await rsaBigExponentKey()
    const manySelf = await mostThatFit(150, (n) => withSelfSignatures(honest, n))
    const capSelf = await withSelfSignatures(honest, 15) // and the subkey's binding: 16
    const manyRevocations = (await mostThatFit(150, async (n) => (await keyWithRevocations(n)).publicKey)).n

    const login = async (b: Browser, key: Key, via: 'gpg' | 'browser' = 'gpg') => {
      await b.get('/identity')
      const r = await b.post('/identity/login', b.form({ via, public_key: key.publicKey, signed: await clearsignTimes(key.privateKey, await b.challenge(), 1) }))
      if (r.status !== 303) throw new Error(`setup login failed: ${r.status}`)
      await b.get('/identity')
    }
    // A poster (gpg), a browser-key poster, and a voter on an open question that one ballot
    // cannot settle (three voters on the roster, quorum two).
    const poster = new Browser(app)
    await login(poster, honest)
    await poster.get('/c/lobby/general')
    const thread = (await poster.post('/c/lobby/general', poster.form({ title: 'Worst input', body: 'The thread the benchmark replies to.' }))).location!
    const threadId = Number(thread.split('/').pop())
    await poster.get(thread)
    const browserPoster = new Browser(app)
    await login(browserPoster, honest, 'browser')
    await browserPoster.get(thread)
    const voterKey = await eccKey()
    for (const k of [voterKey, await eccKey(), await eccKey()]) await addRosterKey(deps, { cell: 'lobby', armoredKey: k.publicKey, role: 'voter' })
    const voter = new Browser(app)
    await login(voter, voterKey)
    const session = (await deps.sessions.get(voter.cookies.get('cb_session')!))!
    const question = await raiseQuestion(deps, { session, expired: false }, { cell: 'lobby', kind: 'amend_line', change: 'add', text: 'Benchmark principle.', argument: 'For the benchmark.' })
    await voter.get(`/c/lobby/questions/${question}`)
    const replyText = (i: number) => canonicalPostText({ site: SITE, cell: 'lobby', board: 'general', thread: threadId, title: null, body: `Reply ${i} ${randomBytes(4).toString('hex')}` })
    // Under the 8 KiB that a signed challenge or ballot, a detached signature or a revocation
    // certificate may have since issue 9: as many signatures as fit, refused by their number.
    const KiB8 = 8 * 1024
    const ballot = ballotText({ site: SITE, cell: 'lobby', question, line: 1, choice: 'abstain' })
    const fit = {
      login: (await mostThatFit(60, async (n) => clearsignTimes(honest.privateKey, await new Browser(app).challenge(), n), KiB8)).n,
      browser: (await mostThatFit(60, (n) => detachedTimes(honest.privateKey, replyText(0), n), KiB8)).n,
      ballot: (await mostThatFit(60, (n) => clearsignTimes(voterKey.privateKey, ballot, n), KiB8)).n,
      revocation: (await mostThatFit(60, async (n) => revocationTimes((await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'armored' })).revocationCertificate, n), KiB8)).n,
    }

    // The first cases would otherwise run colder code than the later ones: whether a case is
    // measured after others that verified many signatures changed its figure by half (the
    // 16-signature key: 8 ms after them, 15 ms alone). So first warm openpgp's verification up.
    const warmText = await clearsignTimes(honest.privateKey, 'warm-up', 1)
    const warmKey = await openpgp.readKey({ armoredKey: honest.publicKey })
    for (let k = 0; k < 300; k++) await openpgp.verify({ message: await openpgp.readCleartextMessage({ cleartextMessage: warmText }), verificationKeys: warmKey, expectSigned: true })
    log(`inputs made and verification warmed up in ${fmt((performance.now() - t0) / 1000, 1)} s (not measured)`)

    let i = 0
    const fresh = async () => {
      const b = new Browser(app)
      await b.get('/identity')
      return b
    }
    const loginCase = (name: string, key: () => Key | Promise<Key>, publicKey: (k: Key) => string, n: number): Case => ({
      name,
      prepare: async () => {
        const b = await fresh()
        const k = await key()
        return { b, path: '/identity/login', body: b.form({ via: 'gpg', public_key: publicKey(k), signed: await clearsignTimes(k.privateKey, await b.challenge(), n) }) }
      },
    })
    // Sent again from a browser without a session (with one, the identity page has no login form).
    const usedPaste = await (async () => {
      const b = await fresh()
      const fields = { via: 'gpg', public_key: honest.publicKey, signed: await clearsignTimes(honest.privateKey, await b.challenge(), 1) }
      if ((await b.post('/identity/login', b.form(fields))).status !== 303) throw new Error('the paste to replay did not log in')
      return fields
    })()

    const cases: Case[] = [
      loginCase('login, honest (1 signature)', () => honest, (k) => k.publicKey, 1),
      loginCase('login, 200 Ed25519 signatures', () => honest, (k) => k.publicKey, 200),
      loginCase(`login, ${fit.login} signatures (8 KiB)`, () => honest, (k) => k.publicKey, fit.login),
      loginCase('login, RSA-3072 e≈3000 bits, 60 signatures', () => rsa, (k) => k.publicKey, 60),
      loginCase(`login, key with ${manySelf.n} self-signatures (16 KiB)`, () => honest, () => manySelf.armored, 1),
      loginCase('login, key with 16 signatures (the cap)', () => honest, () => capSelf, 1),
      {
        name: 'login, replayed paste (already used)',
        prepare: async () => {
          const b = await fresh()
          return { b, path: '/identity/login', body: b.form(usedPaste) }
        },
      },
      { name: 'post (gpg), honest (1 signature)', prepare: async () => ({ b: poster, path: thread, body: poster.form({ body: '', signed: await clearsignTimes(honest.privateKey, replyText(++i), 1) }) }) },
      { name: 'post (gpg), 200 signatures', prepare: async () => ({ b: poster, path: thread, body: poster.form({ body: '', signed: await clearsignTimes(honest.privateKey, replyText(++i), 200) }) }) },
      ...[200, fit.browser].map((n) => ({
        name: `post (browser), ${n} signatures${n === 200 ? '' : ' (8 KiB)'}`,
        prepare: async () => {
          const body = `Reply ${++i} ${randomBytes(4).toString('hex')}`
          const text = canonicalPostText({ site: SITE, cell: 'lobby', board: 'general', thread: threadId, title: null, body })
          return { b: browserPoster, path: thread, body: browserPoster.form({ body, signature: await detachedTimes(honest.privateKey, text, n) }) }
        },
      })),
      ...[200, fit.ballot].map((n) => ({
        name: `ballot, ${n} signatures${n === 200 ? '' : ' (8 KiB)'}`,
        prepare: async () => ({ b: voter, path: `/c/lobby/questions/${question}/ballot`, body: voter.form({ signed: await clearsignTimes(voterKey.privateKey, ballot, n) }) }),
      })),
      ...[200, fit.revocation].map((n) => ({
        name: `revocation, certificate with ${n} signatures${n === 200 ? '' : ' (8 KiB)'}`,
        prepare: async () => {
          const b = await fresh()
          const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'armored' })
          return { b, path: '/identity/revoke', body: b.form({ public_key: k.publicKey, certificate: await revocationTimes(k.revocationCertificate, n) }) }
        },
      })),
      {
        name: `revocation, key carrying ${manyRevocations} revocations (16 KiB)`,
        prepare: async () => {
          const b = await fresh()
          const k = await keyWithRevocations(manyRevocations)
          return { b, path: '/identity/revoke', body: b.form({ public_key: k.publicKey, certificate: k.certificate }) }
        },
      },
    ]

    const rows: string[] = []
    for (const c of cases.filter((c) => ONLY.length === 0 || ONLY.some((o) => c.name.startsWith(o)))) {
      const cpu: number[] = []
      const wall: number[] = []
      const answers = new Map<string, number>()
      for (let k = 0; k < WARM + N; k++) {
        const { b, path, body } = await c.prepare()
        await settled()
        const c0 = cpuMs()
        const w0 = performance.now()
        const r = await b.post(path, body)
        const w = performance.now() - w0
        await settled()
        const d = cpuMs() - c0
        if (k < WARM) continue
        cpu.push(d)
        wall.push(w)
        const message = r.status === 303 ? `→ ${r.location?.replace(/[0-9]+/g, 'N')}` : unescapeHtml(/role="alert">([^<]+)/.exec(r.text)?.[1] ?? '').slice(0, 70)
        const answer = `${r.status} ${message}`
        answers.set(answer, (answers.get(answer) ?? 0) + 1)
      }
      const answer = [...answers].map(([a, n]) => (answers.size > 1 ? `${n}× ${a}` : a)).join('; ')
      rows.push(`| ${c.name} | **${fmt(median(cpu), 2)}** | ${fmt(pct(cpu, 0.9), 2)} | ${fmt(median(wall), 2)} | ${answer} |`)
      log(`${c.name}: CPU median ${fmt(median(cpu), 2)} ms, p90 ${fmt(pct(cpu, 0.9), 2)} ms, wall median ${fmt(median(wall), 2)} ms; ${answer}`)
    }
    log(`\n| case (${N} requests each, after ${WARM} unmeasured) | CPU ms median | CPU ms p90 | wall ms median | answer |`)
    log('|---|---:|---:|---:|---|')
    for (const r of rows) log(r)
  } finally {
    await close()
    rmSync(dir, { recursive: true, force: true })
  }
  log(`\n${header('bench/worst-input.ts end')}`)
}

await main()
