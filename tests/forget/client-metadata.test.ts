import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import * as openpgp from 'openpgp'
import { describe, expect, it } from 'vitest'
import { pgCheckpoint, pgDataDirectory, pgServerEnv, TEST_DIALECT, TEST_REDIS_URL } from '../support/app.ts'
import { findMarkers, findMarkersInDir } from '../support/scan.ts'
import { startServer, type RunningServer } from '../support/server.ts'

// No client address, user agent or referrer is stored or logged, on any route, failing ones too.
const CLIENT_ADDRESS = '127.0.0.77'
const tag = randomBytes(4).toString('hex')
const META = {
  'x-forwarded-for': `198.51.100.77, 10.${tag.length}.0.1`,
  'x-real-ip': '198.51.100.78',
  forwarded: 'for="[2001:db8::77]";proto=http;by=203.0.113.9',
  'user-agent': `UAMARKER-${tag}/1.0 (X11; Marker)`,
  referer: `http://referer-marker-${tag}.example/from/here`,
}
const MARKERS = [CLIENT_ADDRESS, '198.51.100.77', '198.51.100.78', '2001:db8::77', '203.0.113.9', `UAMARKER-${tag}`, `referer-marker-${tag}`]

const root = new URL('../../', import.meta.url).pathname

/** The operator's CLI against the same data, with a public key on standard input. */
function cli(env: Record<string, string>, input: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, ...env } })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (out += d))
    p.on('exit', (code) => resolve({ code, out }))
    p.stdin.end(input)
  })
}

/** Every value the server keeps in Redis, as text (sessions, challenges, rate limits). */
async function redisValues(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL)
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    for (const k of keys) {
      const type = await redis.type(k)
      out.push(k, type === 'string' ? ((await redis.get(k)) ?? '') : type === 'set' ? (await redis.smembers(k)).join('\n') : '')
    }
    cursor = next
  } while (cursor !== '0')
  await redis.quit()
  return out.join('\n')
}

/** PostgreSQL's own log files, where it puts failing statements. */
function pgLogs(): Record<string, string> {
  try {
    return Object.fromEntries(readdirSync('/var/log/postgresql').map((f) => [`postgresql log ${f}`, readFileSync(`/var/log/postgresql/${f}`, 'latin1')]))
  } catch {
    return {}
  }
}

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One request from 127.0.0.77, carrying every kind of client metadata. */
function send(base: string, path: string, opts: { method?: string; body?: string | Buffer; cookie?: string; type?: string } = {}): Promise<Reply> {
  const url = new URL(path, base)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: opts.method ?? 'GET', localAddress: CLIENT_ADDRESS, headers: { ...META, ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.type ? { 'content-type': opts.type } : {}) } },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

describe('client metadata is never kept', () => {
  it('requests from 127.0.0.77 with forwarding headers, a user agent and a referer, on every route, leave no trace in the files or the output', async () => {
    // On PostgreSQL, Redis keys under a prefix of this test's own, removed after it (and scanned below).
    const pg = TEST_DIALECT === 'postgres' ? await pgServerEnv() : null
    const dbEnv: Record<string, string> = pg?.env ?? {}
    const server: RunningServer = await startServer(dbEnv)
    /** Where the markers are: the data files (the whole PostgreSQL data directory, its log and Redis), and what was printed. */
    const scan = async (markers: string[], printed: Record<string, string>) =>
      TEST_DIALECT === 'postgres'
        ? findMarkersInDir(await pgDataDirectory(), markers, { ...printed, ...pgLogs(), redis: await redisValues(dbEnv.REDIS_KEY_PREFIX!) })
        : findMarkers(server.dataDir, markers, printed)
    try {
      const jar = new Map<string, string>()
      const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      let csrf = ''
      const go = async (path: string, opts: Parameters<typeof send>[2] = {}) => {
        const r = await send(server.url, path, { ...opts, cookie: cookie() })
        for (const c of ([] as string[]).concat(r.headers['set-cookie'] ?? [])) {
          const [pair] = c.split(';')
          const [k, v] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)]
          if (v) jar.set(k, v)
          else jar.delete(k)
        }
        csrf = /name="_csrf" value="([^"]+)"/.exec(r.body)?.[1] ?? csrf
        return r
      }
      const form = (fields: Record<string, string>) => ({ method: 'POST', type: 'application/x-www-form-urlencoded', body: new URLSearchParams({ _csrf: csrf, ...fields }).toString() })

      const statuses: Record<string, number> = {}
      const hit = async (name: string, path: string, opts?: Parameters<typeof send>[2]) => (statuses[name] = (await go(path, opts)).status)

      await hit('home', '/')
      await hit('identity', '/identity')
      await hit('take identity', '/identity/disposable', form({}))
      const fpr = /<code class="fpr">([0-9a-f]+)</.exec((await go('/identity')).body)![1]!
      await hit('private key', '/identity/private-key.asc', form({}))
      const publicKey = (await go('/identity/public-key.asc')).body
      statuses['public key'] = publicKey.includes('PUBLIC KEY BLOCK') ? 200 : 0
      await hit('cell', '/c/lobby')
      await hit('board', '/c/lobby/general')
      const start = await go('/c/lobby/general', form({ title: 'Metadata thread', body: `METAPOSTMARKER${tag}` }))
      statuses['start thread'] = start.status
      const thread = start.headers.location as string
      const threadId = thread.split('/').pop()!
      await hit('thread', thread)
      await hit('reply', thread, form({ body: 'a reply' }))
      // Previews (issue 14): the post as it would appear, nothing stored, nothing of the client read.
      const previews = { reply: (await go(`${thread}/preview`, form({ body: 'a preview' }))).status, thread: (await go('/c/lobby/general/preview', form({ title: 'A preview', body: 'a preview' }))).status }
      expect(previews).toEqual({ reply: 200, thread: 200 })
      await hit('post link', `${thread}/p/1`)
      await hit('signed text', `${thread}/p/1.asc`)
      await hit('own posts', '/identity/own-posts.css')
      await hit('key', `/k/${fpr}.asc`)
      await hit('privacy', '/privacy')
      await hit('challenge', '/identity/challenge')
      await hit('style', '/static/style.css')
      await hit('htmx', '/static/htmx.min.js')
      await hit('favicon', '/favicon.ico')
      await hit('robots', '/robots.txt')

      // Line questions: the operator makes this identity a voter, then it raises, votes and reads.
      const added = await cli({ ...dbEnv, DATA_DIR: server.dataDir }, publicKey, 'roster', 'add', 'lobby', '-', '--role', 'voter')
      expect(added.code, added.out).toBe(0)
      await hit('line', '/c/lobby/line')
      await hit('queue', '/c/lobby/questions')
      await hit('raise form', '/c/lobby/questions/new?kind=remove_post')
      const raised = await go('/c/lobby/questions', form({ kind: 'remove_post', board: 'general', thread: threadId, number: '2', principle: '1', argument: 'Off the line.' }))
      statuses.raise = raised.status
      const question = raised.headers.location as string
      await hit('question', question)
      await hit('ballot review', `${question}/ballot`, form({ choice: 'yes' }))
      await hit('ballot', `${question}/ballot`, form({ choice: 'yes', confirm: 'yes' }))
      await hit('decision', question)
      await hit('bundle', `${question}/bundle.json`)
      await hit('decisions', '/c/lobby/decisions')
      await hit('board feed', '/c/lobby/general/feed.atom')
      await hit('decisions feed', '/c/lobby/decisions/feed.atom')
      await hit('answers feed', '/c/lobby/decisions/answers.atom')
      await hit('search', '/search?q=hello')
      await hit('cell search', '/c/lobby/search?q=hello')
      await hit('my questions', '/questions')

      // Letters: the operator sets the cell key; anyone writes; this voter reads the inbox and handles one.
      const cellKey = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'cell' }], format: 'armored' })
      const keySet = await cli({ ...dbEnv, DATA_DIR: server.dataDir }, cellKey.publicKey, 'cell', 'key', 'set', 'lobby', '-')
      expect(keySet.code, keySet.out).toBe(0)
      await hit('cell key', '/c/lobby/key.asc')
      await hit('letter form', '/c/lobby/letters/new')
      const letter = await go('/c/lobby/letters', form({ text: `A letter ${tag}` }))
      statuses.letter = letter.status
      const reference = /<p class="letter-reference"><code>([0-9A-Z-]+)</.exec(letter.body)![1]!
      await hit('bad letter', '/c/lobby/letters', form({ ciphertext: 'not a letter' }))
      await hit('inbox', '/c/lobby/letters')
      await hit('inbox file', '/c/lobby/letters/inbox.asc')
      await hit('handled', '/c/lobby/letters/handled', form({ references: reference }))
      await hit('raise bad', '/c/lobby/questions', form({ kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '9', argument: 'x' }))
      await hit('ballot unknown', '/c/lobby/questions/999999/ballot', form({ choice: 'yes' }))

      await hit('unknown page', '/no/such/page')
      await hit('unknown cell', '/c/nowhere')
      await hit('empty reply', thread, form({ body: '' }))
      await hit('forged token', thread, { method: 'POST', type: 'application/x-www-form-urlencoded', body: 'body=x&_csrf=forged' })
      await hit('too large', thread, { method: 'POST', type: 'application/x-www-form-urlencoded', body: 'body=' + 'x'.repeat(70_000) })
      await hit('not a form', thread, { method: 'POST', type: 'application/json', body: '{}' })
      await hit('bad utf-8', thread, { method: 'POST', type: 'application/x-www-form-urlencoded', body: Buffer.concat([Buffer.from(`_csrf=${csrf}&body=`), Buffer.from([0xff, 0xfe])]) })
      await hit('bad login', '/identity/login', form({ public_key: 'nope', signed: 'nope' }))
      await hit('bad revoke', '/identity/revoke', form({ public_key: 'nope', certificate: 'nope' }))
      await hit('burn', '/identity/burn', form({}))
      await hit('post after burn', thread, form({ body: 'no identity' }))

      // A key held by the person logs in with a signed challenge.
      const held = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'held' }], format: 'armored' })
      await go('/identity')
      const challenge = (await go('/identity/challenge')).body
      const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: challenge }), signingKeys: await openpgp.readPrivateKey({ armoredKey: held.privateKey }) })
      await hit('login', '/identity/login', form({ via: 'gpg', public_key: held.publicKey, signed }))
      await hit('identity after login', '/identity')

      expect(statuses).toEqual({
        home: 200, identity: 200, 'take identity': 303, 'private key': 200, 'public key': 200, cell: 200, board: 200, 'start thread': 303, thread: 200, reply: 303,
        'post link': 303, 'signed text': 200, 'own posts': 200, key: 200, privacy: 200, challenge: 200, style: 200, htmx: 200, favicon: 204, robots: 200,
        line: 200, queue: 200, 'raise form': 200, raise: 303, question: 200, 'ballot review': 200, ballot: 303, decision: 200, bundle: 200, decisions: 200, 'board feed': 200, 'decisions feed': 200, 'answers feed': 200, search: 200, 'cell search': 200, 'my questions': 200, 'raise bad': 422, 'ballot unknown': 404,
        'cell key': 200, 'letter form': 200, letter: 200, 'bad letter': 422, inbox: 200, 'inbox file': 200, handled: 303,
        'unknown page': 404, 'unknown cell': 404, 'empty reply': 422, 'forged token': 403, 'too large': 413, 'not a form': 415,
        'bad utf-8': 400, 'bad login': 422, 'bad revoke': 422, burn: 303, 'post after burn': 403, login: 303, 'identity after login': 200,
      })
      // The scan can see: what was published is in the files, and the output was captured.
      if (TEST_DIALECT === 'postgres') await pgCheckpoint()
      expect(Object.keys(await scan([`METAPOSTMARKER${tag}`], {}))).not.toHaveLength(0)
      expect(server.output()).toContain('listening on')
      // …and Redis's scan reads this server's keys: the logged-in session's record is among them.
      if (pg) expect(await redisValues(pg.env.REDIS_KEY_PREFIX!)).toContain(`${pg.env.REDIS_KEY_PREFIX}s:`)
      expect(await scan(MARKERS, { 'server output': server.output(), 'cli output': added.out + keySet.out })).toEqual({})
    } finally {
      await server.stop()
    }
    // Also after a clean shutdown (which checkpoints the WAL into the main file).
    expect(await scan(MARKERS, { 'server output': server.output() })).toEqual({})
    await pg?.drop()
  })
})
