// Issue 15: cellboard's thread page against static files, on the wire as Tor Browser asks for it
// (Accept-Encoding: gzip, deflate), wrk with one thread at BENCH_CONNECTIONS connections,
// interleaved rounds (every other one in reverse order), all in one run:
//   - bare node:http sending the same compressed bytes with the same headers (bench/bare.ts): the
//     stack's own limit (goal ≥ 0.95×);
//   - nginx with `gzip_static on` and a pre-compressed copy: the static-file limit (goal ≥ 0.7×);
//   - nginx as Debian configures it (`gzip on`, compressing each response): cellboard must stay ahead;
//   - the same page for a reader with a session (goal ≥ 0.8× the anonymous page);
//   - the board page against bare node:http with its bytes (goal ≥ 0.8×).
// One server process, one nginx worker. Server CPU per request from /proc (cellboard, bare, the
// nginx worker). Only 127.0.0.1; every load stops by itself.
//
//   npx tsx bench/static.ts                                   SQLite, 5 rounds of 5 s
//   BENCH_ROUNDS=3 BENCH_DURATION=3 npx tsx bench/static.ts   quicker
//   BENCH_DIALECT=postgres npx tsx bench/static.ts            PostgreSQL + Redis
// Needs wrk and nginx (Debian: apt-get install -y wrk nginx; the nginx service need not run).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { startFlags, startListening } from '../tests/support/server.ts'
import { cpuSeconds, disposable, fmt, header, load1, log, makePgDatabase, median, num, sleep, startNode, TOR_BROWSER_ASKS } from './harness.ts'
import { seed } from './seed.ts'

const ROUNDS = num('BENCH_ROUNDS', 5)
const D = num('BENCH_DURATION', 5)
const C = num('BENCH_CONNECTIONS', 10)
const PG = process.env.BENCH_DIALECT === 'postgres'
const WIRE = TOR_BROWSER_ASKS

type Raw = { status: number; headers: Record<string, string>; body: Buffer }
function rawGet(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }))
    }).on('error', reject)
  })
}

type Wrk = { rps: number; p50: number; p99: number; requests: number; bad: number; cpuUs: number }
const ms = (v: string, unit: string) => Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1)
/** wrk -t1 against one URL for D seconds, metering the server process `pid`. */
async function wrk(url: string, headers: Record<string, string>, pid: number): Promise<Wrk> {
  const args = ['-t1', `-c${C}`, `-d${D}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]
  const cpu0 = cpuSeconds(pid)
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let s = ''
    p.stdout.on('data', (d) => (s += d))
    p.stderr.on('data', (d) => (s += d))
    p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`wrk: ${code}\n${s}`))))
  })
  const cpu = cpuSeconds(pid) - cpu0
  const pick = (re: RegExp) => re.exec(out)
  const requests = Number(pick(/(\d+) requests in/)?.[1] ?? 0)
  const lat = (q: string) => {
    const m = pick(new RegExp(`${q}%\\s+([\\d.]+)(us|ms|s)`))
    return m ? ms(m[1]!, m[2]!) : NaN
  }
  const bad = Number(pick(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0) + Number(pick(/Socket errors: .*?timeout (\d+)/)?.[1] ?? 0)
  return { rps: Number(pick(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? 0), p50: lat('50'), p99: lat('99'), requests, bad, cpuUs: (cpu * 1e6) / Math.max(1, requests) }
}

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port
    s.close(() => resolve(port))
  })
})

/** One nginx, one worker, two sites: the page pre-compressed (gzip_static) and compressed per response (gzip on). */
async function startNginx(dir: string, html: Buffer, gz: Buffer, headers: Record<string, string>) {
  const [staticRoot, gzipRoot] = [join(dir, 'nginx-static'), join(dir, 'nginx-gzip')]
  for (const root of [staticRoot, gzipRoot]) mkdirSync(root, { recursive: true }), writeFileSync(join(root, 'thread.html'), html)
  writeFileSync(join(staticRoot, 'thread.html.gz'), gz)
  const [p1, p2] = [await freePort(), await freePort()]
  // The same security headers as cellboard's page (they are part of what goes on the wire).
  const adds = Object.entries(headers).filter(([k]) => !['content-type', 'content-length', 'content-encoding', 'vary', 'date', 'connection', 'keep-alive'].includes(k)).map(([k, v]) => `add_header ${k} "${v.replaceAll('"', '\\"')}" always;`).join(' ')
  const conf = `user root; worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_timeout 15; keepalive_requests 1000000;
  types { text/html html; } default_type text/html; client_body_temp_path ${dir}/nginx-body; proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fcgi; uwsgi_temp_path ${dir}/nginx-uwsgi; scgi_temp_path ${dir}/nginx-scgi;
  server { listen 127.0.0.1:${p1}; root ${staticRoot}; gzip_static on; gzip_vary on; ${adds} }
  server { listen 127.0.0.1:${p2}; root ${gzipRoot}; gzip on; gzip_vary on; ${adds} }
}`
  writeFileSync(join(dir, 'nginx.conf'), conf)
  const proc: ChildProcess = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  proc.stderr!.on('data', (d) => (err += d))
  for (let i = 0; i < 100; i++) {
    const up = await rawGet(`http://127.0.0.1:${p2}/thread.html`).then(() => true, () => false)
    if (up) break
    if (i === 99) throw new Error(`nginx did not start: ${err}`)
    await sleep(100)
  }
  const master = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'))
  const worker = Number(execFileSync('pgrep', ['-P', String(master)]).toString().trim().split('\n')[0])
  return { static: `http://127.0.0.1:${p1}/thread.html`, gzip: `http://127.0.0.1:${p2}/thread.html`, worker, stop: () => proc.kill('SIGTERM') }
}

log(header(`bench/static.ts (${PG ? 'PostgreSQL + Redis' : 'SQLite'}, ${ROUNDS} rounds of ${D} s, wrk -t1 -c${C})`))
const dir = mkdtempSync(join(tmpdir(), 'cellboard-static-'))
const pgdb = PG ? await makePgDatabase('cb_bench') : null
const stops: (() => unknown)[] = []
try {
  const s = await seed(join(dir, 'data'), pgdb ? { DATABASE_URL: pgdb.url } : {})
  const node = await startNode(pgdb ? pgdb.nodeEnv(join(dir, 'node')) : { DATA_DIR: s.dataDir })
  stops.push(() => node.stop())
  const reader = await disposable(node.url)
  // What each compares: the bytes cellboard sends as Tor Browser asks (the second ask is a cache hit).
  await rawGet(node.url + s.threadPath, WIRE)
  const thread = await rawGet(node.url + s.threadPath, WIRE)
  const board = (await rawGet(node.url + s.boardPath, WIRE), await rawGet(node.url + s.boardPath, WIRE))
  const session = await rawGet(node.url + s.threadPath, { ...WIRE, Cookie: reader.cookie })
  if (thread.headers['content-encoding'] !== 'gzip' || board.headers['content-encoding'] !== 'gzip') throw new Error('cellboard did not send the pages gzipped')
  if (session.headers['content-encoding'] !== 'deflate' || !/name="_csrf"/.test(session.body.toString('latin1'))) throw new Error("the reader's page is not their own, deflated around its token")
  const html = gunzipSync(thread.body)
  const bare = async (name: string, r: Raw) => {
    writeFileSync(join(dir, `${name}.body`), r.body)
    writeFileSync(join(dir, `${name}.headers.json`), JSON.stringify(Object.fromEntries(Object.entries(r.headers).filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(k)))))
    // With npm start's node flags, as cellboard runs: the two differ only in what they do per request.
    const b = await startListening([...startFlags(), '--import', 'tsx', 'bench/bare.ts', join(dir, `${name}.body`), join(dir, `${name}.headers.json`)], {}, 'bare')
    stops.push(() => b.stop())
    if (!(await rawGet(b.url, WIRE)).body.equals(r.body)) throw new Error(`bare ${name} sends other bytes`)
    return { url: b.url, pid: b.proc.pid! }
  }
  const [bareThread, bareBoard] = [await bare('thread', thread), await bare('board', board)]
  const nginx = await startNginx(dir, html, thread.body, thread.headers)
  stops.push(nginx.stop)
  if (!(await rawGet(nginx.static, WIRE)).body.equals(thread.body)) throw new Error('nginx gzip_static sends other bytes')
  const perResponse = await rawGet(nginx.gzip, WIRE)
  if (perResponse.headers['content-encoding'] !== 'gzip' || !gunzipSync(perResponse.body).equals(html)) throw new Error('nginx gzip on does not send the page gzipped')
  log(`thread page (200 replies): ${fmt(html.length)} B, on the wire ${fmt(thread.body.length)} B gzip (nginx gzip on: ${fmt(perResponse.body.length)} B); a reader's own: ${fmt(session.body.length)} B deflate; board page ${fmt(board.body.length)} B gzip`)

  const targets = {
    'thread, anonymous': { url: node.url + s.threadPath, headers: WIRE, pid: node.pid },
    'bare node:http, same bytes': { url: bareThread.url, headers: WIRE, pid: bareThread.pid },
    'nginx, gzip_static on': { url: nginx.static, headers: WIRE, pid: nginx.worker },
    'nginx, gzip on (Debian)': { url: nginx.gzip, headers: WIRE, pid: nginx.worker },
    'thread, with a session': { url: node.url + s.threadPath, headers: { ...WIRE, Cookie: reader.cookie }, pid: node.pid },
    'board page': { url: node.url + s.boardPath, headers: WIRE, pid: node.pid },
    'bare node:http, board bytes': { url: bareBoard.url, headers: WIRE, pid: bareBoard.pid },
  }
  type Name = keyof typeof targets
  const rounds: Record<Name, Wrk>[] = []
  for (let r = 1; r <= ROUNDS; r++) {
    const round = {} as Record<Name, Wrk>
    // Every other round runs the targets in reverse order, so no target is always the first of a
    // round (after the others' processes had the cores) or always right after its reference.
    const order = Object.entries(targets) as [Name, (typeof targets)[Name]][]
    for (const [name, t] of r % 2 === 0 ? order.reverse() : order) {
      round[name] = await wrk(t.url, t.headers, t.pid)
      log(`  round ${r}: ${name.padEnd(30)} ${fmt(round[name].rps).padStart(7)} req/s, p50 ${fmt(round[name].p50, 2)} ms, p99 ${fmt(round[name].p99, 2)} ms, ${fmt(round[name].cpuUs)} CPU-µs/req${round[name].bad ? `, ${round[name].bad} bad!` : ''}; load ${load1()}`)
    }
    rounds.push(round)
  }
  log('\nMedians over the rounds:')
  log('| what | req/s | p50 ms | p99 ms | server CPU-µs/req |\n|---|---:|---:|---:|---:|')
  for (const name of Object.keys(targets) as Name[]) {
    const m = (f: (w: Wrk) => number, d = 0) => fmt(median(rounds.map((r) => f(r[name]))), d)
    log(`| ${name} | ${m((w) => w.rps)} | ${m((w) => w.p50, 2)} | ${m((w) => w.p99, 2)} | ${m((w) => w.cpuUs)} |`)
  }
  log('\nRatios, median of the per-round ratios (per server CPU: the reference’s CPU-µs per request ÷ this one’s):')
  const ratio = (a: Name, b: Name, goal: number, more = '') => {
    const rps = median(rounds.map((r) => r[a].rps / r[b].rps))
    const cpu = median(rounds.map((r) => r[b].cpuUs / r[a].cpuUs))
    log(`  ${a} ÷ ${b}: req/s ${fmt(rps, 2)} (${rounds.map((r) => fmt(r[a].rps / r[b].rps, 2)).join(', ')}), per server CPU ${fmt(cpu, 2)}  goal ≥ ${goal}${more}: ${rps >= goal ? 'met' : 'NOT met'}`)
  }
  ratio('thread, anonymous', 'bare node:http, same bytes', 0.95)
  ratio('thread, anonymous', 'nginx, gzip_static on', 0.7)
  ratio('thread, anonymous', 'nginx, gzip on (Debian)', 1, ' (ahead of it)')
  ratio('thread, with a session', 'thread, anonymous', 0.8)
  ratio('board page', 'bare node:http, board bytes', 0.8)
  const bad = rounds.flatMap((r) => Object.entries(r)).filter(([, w]) => w.bad > 0)
  if (bad.length) log(`WARNING: non-2xx responses or timeouts in: ${[...new Set(bad.map(([n]) => n))].join(', ')}`)
} finally {
  for (const stop of stops.reverse()) await stop()
  await pgdb?.drop()
  rmSync(dir, { recursive: true, force: true })
  log(header('end'))
}
