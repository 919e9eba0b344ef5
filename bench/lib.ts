// Shared helpers for bench/signatures.ts, bench/purge.ts and bench/tally.ts (bench/pages.ts keeps
// its own copies). Nothing here is timed by itself. Loopback only: the server listens on 127.0.0.1.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { loadConfig } from '../src/config.ts'
import { openDeps as openBoardDeps } from '../src/compose.ts'
import { ensureDefaultCell } from '../src/services/cells.ts'
import type { Deps } from '../src/services/deps.ts'

export const ROOT = new URL('../', import.meta.url).pathname
export const log = (s: string) => console.log(s)

// ---------- numbers ----------

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
/** Nearest-rank percentile of unsorted samples. */
export const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : NaN
}
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–')
export const num = (name: string, dflt: number) => {
  const v = process.env[name]
  const n = v === undefined || v === '' ? dflt : Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`)
  return n
}

/** Date, commit, machine and load average, printed at the start and end of every script. */
export function header(what: string): string {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'views', 'tests', 'migrations'], { cwd: ROOT, encoding: 'utf8' }).trimEnd() // not trim(): ' M path' keeps its leading space
  const changed = dirty.split('\n').filter(Boolean).map((l) => l.slice(3))
  return `${what}: ${new Date().toISOString()}, commit ${head}${changed.length ? ` (uncommitted changes in: ${changed.join(', ')})` : ''}, node ${process.version}, ${cpus().length} CPUs, ${loadText()}`
}
export const loadText = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`

// ---------- process CPU, as in bench/pages.ts ----------

const TICK = 100 // USER_HZ
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / TICK
}
/** Seconds the main thread was runnable but waiting for a CPU (/proc/PID/schedstat). */
export const waitSeconds = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9

// ---------- the real server, as tests/support/server.ts starts it ----------

export type Server = { url: string; pid: number; proc: ChildProcess; output: () => string; stop: () => Promise<void> }

/** Run a node script that prints "listening on URL" (the server, a ceiling); resolve once it does. */
export function spawnListening(args: string[], env: Record<string, string>): Promise<Server> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout!.on('data', (d) => (out += d))
  proc.stderr!.on('data', (d) => (out += d))
  return new Promise<Server>((resolve, reject) => {
    const timer = setTimeout(() => (proc.kill('SIGKILL'), reject(new Error(`${args.at(-1)} did not start:\n${out}`))), 120_000)
    proc.stdout!.on('data', () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) clearTimeout(timer), resolve({ url: m[1]!, pid: proc.pid!, proc, output: () => out, stop: () => stopProcess(proc) })
    })
    proc.on('exit', (code) => (clearTimeout(timer), reject(new Error(`${args.at(-1)} exited with ${code}:\n${out}`))))
  })
}

/** src/main.ts as tests/support/server.ts starts it: 127.0.0.1, a free port, its own DATA_DIR; node flags for profiling. */
export const startServer = (dataDir: string, env: Record<string, string> = {}, nodeArgs: string[] = []) =>
  spawnListening([...nodeArgs, '--import', 'tsx', 'src/main.ts'], { HOST: '127.0.0.1', PORT: '0', ...env, DATA_DIR: dataDir })

/** bench/ceiling.ts serving these bytes at path. */
export async function startCeiling(dir: string, name: string, body: Uint8Array, contentType: string, path: string): Promise<Server> {
  const file = join(dir, `${name}.body`)
  writeFileSync(file, body)
  const p = await spawnListening(['--import', 'tsx', 'bench/ceiling.ts', file, contentType, path], {})
  return { ...p, url: p.url + path }
}

export const stopProcess = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
    proc.on('exit', () => (clearTimeout(timer), resolve()))
    proc.kill('SIGTERM')
  })

/** The use cases in this process against DATA_DIR (as bench/seed.ts does), for seeding before or beside the server. */
export async function openDeps(dataDir: string, now: () => number = Date.now): Promise<{ deps: Deps; close: () => Promise<void> }> {
  const opened = await openBoardDeps(loadConfig({ DATA_DIR: dataDir }), { now })
  await ensureDefaultCell(opened.deps)
  return opened
}

// ---------- HTTP with cookies ----------

export type Resp = { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export function send(agent: Agent, url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const h = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }
    const req = httpRequest(url, { method, agent, headers: h, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
}

export function cookiesFrom(res: Resp, jar: Map<string, string>) {
  const set = res.headers['set-cookie'] ?? []
  for (const line of Array.isArray(set) ? set : [set]) {
    const pair = line.split(';')[0]!
    const eq = pair.indexOf('=')
    const v = pair.slice(eq + 1).trim()
    if (v === '' || /max-age=0/i.test(line)) jar.delete(pair.slice(0, eq).trim())
    else jar.set(pair.slice(0, eq).trim(), v)
  }
}
export const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
export const tokenIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
export const unescapeHtml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
export const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

// ---------- keys a person holds (as GnuPG would), made with openpgp ----------

export type HeldKey = { fingerprint: string; publicKey: string; privateKey: openpgp.PrivateKey }

export async function heldKey(name = 'bench'): Promise<HeldKey> {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name }], format: 'object' })
  return { fingerprint: k.publicKey.getFingerprint(), publicKey: k.publicKey.armor(), privateKey: k.privateKey }
}

/** gpg --clearsign's output: LF line ends. */
export async function clearsignWith(key: HeldKey, text: string): Promise<string> {
  const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys: key.privateKey, format: 'armored' })
  return signed.replace(/\r\n/g, '\n')
}

export type Client = { cookie: string; csrf: string; key: HeldKey }

/** The GnuPG login: GET /identity, clearsign its challenge, POST /identity/login (via=gpg). */
export async function logInGpg(agent: Agent, base: string, key: HeldKey): Promise<Client> {
  const jar = new Map<string, string>()
  const page = await send(agent, `${base}/identity`, 'GET', {})
  cookiesFrom(page, jar)
  const csrf = tokenIn(page.body)
  const challenge = /<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page.body)?.[1]
  if (!csrf || !challenge || !jar.has('cb_csrf')) throw new Error('no form token or challenge on /identity')
  const signed = await clearsignWith(key, unescapeHtml(challenge))
  const r = await send(agent, `${base}/identity/login`, 'POST', { ...FORM, cookie: cookieHeader(jar) }, formBody({ _csrf: csrf, via: 'gpg', public_key: key.publicKey, signed }))
  cookiesFrom(r, jar)
  if (r.status !== 303 || !jar.has('cb_session')) throw new Error(`login failed: ${r.status} ${/role="alert">([^<]*)/.exec(r.body)?.[1] ?? ''}`)
  return { cookie: cookieHeader(jar), csrf: await tokenAfterLogin(agent, base, jar), key }
}

/**
 * Taking an identity gives the browser a new form-token cookie (tokens from before no longer
 * work): a page seen with it gives the token to post with.
 */
export async function tokenAfterLogin(agent: Agent, base: string, jar: Map<string, string>): Promise<string> {
  const page = await send(agent, `${base}/identity`, 'GET', { cookie: cookieHeader(jar) })
  cookiesFrom(page, jar)
  const csrf = tokenIn(page.body)
  if (!csrf) throw new Error('no form token on /identity after logging in')
  return csrf
}

/** N clients, each with its own loop, one request in flight each, until the deadline. */
export async function closedLoop<T>(clients: T[], seconds: number, step: (client: T, i: number, k: number) => Promise<void>): Promise<number> {
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  let last = t0
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; performance.now() < deadline; k++) {
        await step(c, i, k)
        last = performance.now()
      }
    }),
  )
  return (last - t0) / 1000
}

export const newAgent = (n: number) => new Agent({ keepAlive: true, maxSockets: n })
