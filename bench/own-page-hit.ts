// Issue 15: what our own code costs on a cache hit, before anything is written: the early path on
// the socket (src/http/early-socket.ts readHead reading the request's head, then
// src/http/middleware/whole-page-cache.ts earlyAnswers finding the page) called in a loop, for an
// anonymous reader's page kept whole and for a reader's own page kept for their session. The
// socket is left out on purpose: bench/static.ts measures it, against bare node:http and nginx.
// In process, no server, nothing on the network.
//
//   npx tsx bench/own-page-hit.ts        (OWN_HIT_CALLS=200000 by default; 3 rounds each)
import { loadConfig } from '../src/config.ts'
import { MemorySessionStore } from '../src/ephemeral/sessions.ts'
import { earlyAnswers, ownPageHash, type EarlyAsked } from '../src/http/middleware/whole-page-cache.ts'
import { readHead } from '../src/http/early-socket.ts'
import { cacheKey, PageCache } from '../src/services/page-cache.ts'
import { fmt, header, log, median, num } from './harness.ts'

const CALLS = num('OWN_HIT_CALLS', 200_000)
const config = loadConfig({})
const cache = new PageCache()
const sessions = new MemorySessionStore(3_600_000)
const deps = { cache, config, sessions, now: Date.now }
const session = await sessions.create({ fingerprint: 'F'.repeat(40), kind: 'disposable', armoredPublic: '', armoredPrivate: '' })
const path = '/c/lobby/general/t/1'
const body = new Uint8Array(6_000)
const csrf = 'abcdefghijklmnopqrstuv'
cache.set(cacheKey.address('', path), { meta: null, bytes: body, gzip: body, tags: [] }, cache.epoch())
// Kept as http/render.ts keepOwnPage keeps it: under a hash of the session, never the id.
cache.set(cacheKey.own(ownPageHash(session.id), '', 'deflate', path), { meta: { fingerprint: session.fingerprint, csrf, at: Date.now(), deflated: true, answer: { body, headers: {}, lines: '' } }, bytes: body, tags: [] }, cache.epoch())

const early = earlyAnswers(deps)
// The head Tor Browser sends (bench/harness.ts TOR_BROWSER), and for the reader with their cookies.
const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive`
const anonymous = head
const reader = `${head}\r\nCookie: cb_session=${session.id}; cb_csrf=${csrf}`

function round(req: string): number {
  let sent = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < CALLS; i++) if (early(readHead(req) as EarlyAsked) !== undefined) sent++
  const us = Number(process.hrtime.bigint() - t0) / 1000 / CALLS
  if (sent !== CALLS) throw new Error(`only ${sent} of ${CALLS} calls were answered from the cache`)
  return us
}

log(header(`bench/own-page-hit.ts (${fmt(CALLS)} calls a round)`))
const times = { anonymous: [] as number[], reader: [] as number[] }
for (let r = 0; r < 4; r++) {
  const [a, b] = [round(anonymous), round(reader)]
  if (r === 0) continue // the first round warms the code up
  times.anonymous.push(a)
  times.reader.push(b)
}
log(`anonymous hit: ${fmt(median(times.anonymous), 2)} µs of our code per request (${times.anonymous.map((x) => fmt(x, 2)).join(', ')})`)
log(`a reader's own kept page: ${fmt(median(times.reader), 2)} µs (${times.reader.map((x) => fmt(x, 2)).join(', ')})`)
sessions.close()
log(header('end'))
