import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { answerEarlyOnSockets, readHead } from './early-socket.ts'
import type { EarlyAnswer, EarlyAsked } from './middleware/whole-page-cache.ts'

// A real node:http server with the early path in front of it, over real loopback sockets. The kept
// page is /hit; Node's handler answers everything else and says what it read, so each response
// shows who wrote it (X-By) and what Node saw of the request.
const page = Buffer.from('<p>kept</p>')
const hit: EarlyAnswer = { body: page, headers: {}, lines: `X-By: early\r\nContent-Length: ${page.length}\r\n` }

type Running = { port: number; seen: string[]; sockets: net.Socket[]; server: http.Server; early: { close: () => void }; close: () => Promise<void> }
const running: Running[] = []
const STREAMED = 64 * 65536
afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
})

async function start(answers: (r: EarlyAsked) => EarlyAnswer | undefined | Promise<EarlyAnswer | undefined> = (r) => (r.url === '/hit' ? hit : undefined), keepAliveMs = 5000, big?: Buffer, headersMs = 5000): Promise<Running> {
  const seen: string[] = []
  const sockets: net.Socket[] = []
  const server = http.createServer({ keepAliveTimeout: keepAliveMs }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (d: Buffer) => chunks.push(d))
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`)
      if (req.url === '/cut') {
        res.writeHead(200, { 'X-By': 'node', 'Content-Length': '100' })
        res.write('half')
        return void setTimeout(() => req.socket.destroy(), 20)
      }
      if (req.url === '/close') res.setHeader('Connection', 'close')
      // What an app may call on its socket, whichever way the request came.
      if (req.url === '/socket-calls') {
        res.setTimeout(60_000)
        req.socket.setNoDelay(true)
        req.socket.setKeepAlive(true)
      }
      if (req.url === '/stream') {
        res.writeHead(200, { 'X-By': 'node' })
        let sent = 0
        const more = () => {
          while (sent < STREAMED) {
            sent += 65536
            if (!res.write(Buffer.alloc(65536, 's'))) return void res.once('drain', more)
          }
          res.end()
        }
        return more()
      }
      res.writeHead(200, { 'X-By': 'node' })
      res.end(`node ${req.method} ${req.url} ${Buffer.concat(chunks).length}`)
    })
  })
  const early = answerEarlyOnSockets(server, big ? (r) => (r.url === '/big' ? { body: big, headers: {}, lines: `X-By: early\r\nContent-Length: ${big.length}\r\n` } : answers(r)) : answers, { headersMs, keepAliveMs, requestMs: 5000 })
  server.on('connection', (s: net.Socket) => sockets.push(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const r: Running = {
    port: (server.address() as net.AddressInfo).port,
    seen,
    sockets,
    server,
    early,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
  running.push(r)
  return r
}

/** Send `writes` (one write each, a pause between), read until `responses` responses or the socket closes. */
async function exchange(port: number, writes: string[], responses: number, pauseMs = 30, waitMs = 3000): Promise<{ raw: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  let raw = ''
  let closed = false
  const done = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      raw += d.toString('latin1')
      if (countResponses(raw) >= responses) resolve()
    })
    socket.on('close', () => {
      closed = true
      resolve()
    })
    socket.on('error', () => {})
  })
  for (const w of writes) {
    socket.write(w)
    await new Promise((r) => setTimeout(r, pauseMs))
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, waitMs))])
  socket.destroy()
  return { raw, closed }
}
const countResponses = (raw: string) => raw.split('HTTP/1.1 200 ').length - 1
const by = (raw: string) => [...raw.matchAll(/^X-By: (\w+)/gim)].map((m) => m[1])
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}\r\n`

describe('answering kept pages on the socket, before node:http', () => {
  it('answers a kept page itself, again on the same connection, with what Node would write around it', async () => {
    const s = await start()
    const { raw } = await exchange(s.port, [get('/hit'), get('/hit', 'Connection: keep-alive\r\nAccept-Encoding: gzip\r\n')], 2)
    expect(by(raw)).toEqual(['early', 'early'])
    expect(s.seen).toEqual([])
    const [head, body] = raw.split('\r\n\r\n')
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\nX-By: early\r\nContent-Length: 11\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5$/)
    expect(body).toMatch(/^<p>kept<\/p>HTTP\/1\.1 200 OK\r\nX-By: early\r\n/)
  })

  it('a GET with no page kept is Node’s to answer, in order, and the connection stays here for what follows', async () => {
    const s = await start()
    const { raw } = await exchange(s.port, [get('/hit') + get('/miss') + get('/hit'), get('/miss2'), get('/hit')], 5)
    expect(by(raw)).toEqual(['early', 'node', 'early', 'node', 'early'])
    expect(s.seen).toEqual(['GET /miss ', 'GET /miss2 '])
    expect(raw).toContain('node GET /miss 0')
    const calls = await exchange(s.port, [get('/hit') + get('/socket-calls') + get('/hit')], 3)
    expect(by(calls.raw)).toEqual(['early', 'node', 'early'])
    s.seen.splice(2, 1)
    // Two in a row that need Node: the connection is Node's from the second on.
    const row = await exchange(s.port, [get('/hit') + get('/miss3') + get('/miss4') + get('/hit')], 4)
    expect(by(row.raw)).toEqual(['early', 'node', 'node', 'node'])
    expect(s.seen.slice(2)).toEqual(['GET /miss3 ', 'GET /miss4 ', 'GET /hit '])
  })

  it('hands the connection to Node at its first request it does not read, with every byte, in order; Node keeps it', async () => {
    const s = await start()
    const { raw } = await exchange(s.port, [get('/hit') + get('/miss') + 'HEAD /hit HTTP/1.1\r\nHost: a\r\n\r\n' + get('/hit'), get('/hit')], 5)
    expect(by(raw)).toEqual(['early', 'node', 'node', 'node', 'node'])
    expect(s.seen).toEqual(['GET /miss ', 'HEAD /hit ', 'GET /hit ', 'GET /hit '])
  })

  it('a body is never read as a request: a GET smuggled in a POST, in chunks, or after a GET with a length, is Node’s to read', async () => {
    const s = await start()
    const inner = get('/hit')
    const cases: [string, string[]][] = [
      [`POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`, ['node']],
      [`POST /form HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`, ['node']],
      [`GET /hit HTTP/1.1\r\nHost: a\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`, ['node']],
      [`GET /hit HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`, ['node']],
    ]
    for (const [sent, who] of cases) {
      // Waiting a while for a second answer, which the smuggled GET would be.
      const { raw } = await exchange(s.port, [sent], 2, 10, 400)
      expect(by(raw), sent).toEqual(who)
    }
    expect(s.seen).toEqual([`POST /form ${inner}`, `POST /form ${inner}`, `GET /hit ${inner}`, `GET /hit ${inner}`])
  })

  it('anything it does not fully understand is Node’s: other methods and versions, odd lines, a head in two reads', async () => {
    const s = await start()
    for (const sent of [
      'HEAD /hit HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET /hit HTTP/1.0\r\nHost: a\r\n\r\n',
      get('/hit', 'Connection: close\r\n'),
      get('/hit', 'Upgrade: websocket\r\nConnection: Upgrade\r\n'),
      get('/hit', 'Expect: 100-continue\r\n'),
      get('/hit', 'Proxy-Connection: close\r\n'),
      get('/hit', 'X: 1\r\n'.repeat(100)),
      get('/hit', 'Host: b\r\n'),
      'GET /hit HTTP/1.1\r\n\r\n',
      get('/hit', 'Cookie: a=1\r\nCookie: b=2\r\n'),
      get('/hit', 'X-Folded: a\r\n b\r\n'),
      get('/hit', 'X-Bare: a\rb\r\n'),
      'GET /hit HTTP/1.1\nHost: a\n\n',
      get('/hit', 'X-Eight: caf\u00e9\r\n'),
      'GET http://a/hit HTTP/1.1\r\nHost: a\r\n\r\n',
      '\r\nGET /hit HTTP/1.1\r\nHost: a\r\n\r\n',
    ]) {
      const { raw } = await exchange(s.port, [sent], 1, 10)
      expect(by(raw), JSON.stringify(sent)).not.toContain('early')
      expect(raw.match(/^HTTP\/1\.1 (?!100 )/gm)?.length, JSON.stringify(sent)).toBe(1)
    }
    const split = await exchange(s.port, ['GET /hit HTTP/1.1\r\nHo', 'st: a\r\n\r\n'], 1)
    expect(by(split.raw)).toEqual(['node'])
    // and the parser agrees with itself on what it took
    expect(readHead('GET /hit?page=2 HTTP/1.1\r\nhost: a\r\nCOOKIE: x=1\r\naccept-encoding:  gzip, deflate \r\nHX-Request: true')).toEqual({ url: '/hit?page=2', htmx: true, cookie: 'x=1', acceptEncoding: 'gzip, deflate' })
    expect(readHead('GET /hit HTTP/1.1\r\nHost: a\r\nHost: a')).toBeNull()
  })

  it('an answer awaited (a session looked up elsewhere) keeps the order of pipelined requests', async () => {
    const s = await start((r) => (r.url === '/slow' ? new Promise((resolve) => setTimeout(() => resolve({ ...hit, lines: `X-By: slow\r\nContent-Length: ${page.length}\r\n` }), 100)) : r.url === '/hit' ? hit : r.url === '/slowmiss' ? new Promise((resolve) => setTimeout(() => resolve(undefined), 50)) : undefined))
    const { raw } = await exchange(s.port, [get('/slow') + get('/hit') + get('/slowmiss') + get('/hit')], 4)
    expect(by(raw)).toEqual(['slow', 'early', 'node', 'early'])
    expect(s.seen).toEqual(['GET /slowmiss '])
  })

  it('a reader that does not read is not read from: pipelined requests wait in the kernel, not in memory', async () => {
    const big = Buffer.alloc(256 * 1024, 'x')
    const s = await start(undefined, 5000, big)
    const socket = net.connect(s.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    socket.pause()
    const asks = 200
    socket.write(get('/big').repeat(asks))
    await new Promise((r) => setTimeout(r, 500))
    const [serverSide] = s.sockets.length ? s.sockets : [undefined]
    // Written and not yet read: a few answers at most (without the pause: 200 × 256 KB, 50 MB).
    const queued = (serverSide as net.Socket | undefined)?.writableLength
    expect(queued === undefined ? 0 : queued).toBeLessThan(4 * big.length)
    let got = 0
    const all = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        got += d.length
        if (got >= asks * big.length) resolve()
      })
    })
    socket.resume()
    await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))])
    socket.destroy()
    expect(got).toBeGreaterThanOrEqual(asks * big.length)
    expect(s.seen).toEqual([])
  })

  it('a silent connection is closed at the header deadline, an idle one after the keep-alive time; a reader half-closing after its requests is answered', async () => {
    const s = await start(undefined, 300, undefined, 2500)
    const t0 = Date.now()
    const silent = await exchange(s.port, [], 1, 10, 4000)
    expect(silent.closed).toBe(true)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400)
    // Idle after an answer: the keep-alive time and, as Node, a second more.
    const t1 = Date.now()
    const idle = await exchange(s.port, [get('/hit')], 2, 10)
    expect(by(idle.raw)).toEqual(['early'])
    expect(idle.closed).toBe(true)
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1200)
    expect(Date.now() - t1).toBeLessThan(2400)
    const socket = net.connect(s.port, '127.0.0.1')
    let raw = ''
    socket.on('data', (d: Buffer) => (raw += d.toString()))
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.end(get('/hit') + get('/hit'))
    await closed
    expect(by(raw)).toEqual(['early', 'early'])
  })

  it('reading stopped while an answer was awaited starts again once all held is answered', async () => {
    const s = await start((r) => (r.url === '/slow' ? new Promise((resolve) => setTimeout(() => resolve(hit), 100)) : r.url === '/hit' ? hit : undefined))
    const padded = get('/hit', `X-Pad: ${'p'.repeat(8000)}\r\n`)
    const { raw } = await exchange(s.port, [get('/slow') + padded.repeat(9), get('/hit'), get('/hit')], 12, 150)
    expect(by(raw)).toEqual(Array(12).fill('early'))
  })

  it('on close, the connections still read here end (after the answer in hand); new ones are refused', async () => {
    const s = await start((r) => (r.url === '/slow' ? new Promise((resolve) => setTimeout(() => resolve(hit), 200)) : r.url === '/hit' ? hit : undefined))
    const idle = net.connect(s.port, '127.0.0.1')
    await new Promise<void>((resolve) => idle.once('connect', resolve))
    idle.on('error', () => {})
    const busy = exchange(s.port, [get('/slow') + get('/hit')], 2, 20, 2000)
    await new Promise((r) => setTimeout(r, 80))
    const t0 = Date.now()
    const closed = new Promise<void>((resolve) => s.server.close(() => resolve()))
    s.early.close()
    const { raw } = await busy
    expect(by(raw)).toEqual(['early', 'early'])
    await closed
    expect(Date.now() - t0).toBeLessThan(1500)
    idle.destroy()
  })

  it('a reply Node streams waits for the reader; one Node cuts short or closes ends the connection, as it would have', async () => {
    const s = await start()
    const socket = net.connect(s.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    socket.pause()
    socket.write(get('/stream') + get('/hit'))
    await new Promise((r) => setTimeout(r, 300))
    expect(s.sockets[0]!.writableLength).toBeLessThan(STREAMED / 2)
    let raw = ''
    const both = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => ((raw += d.toString('latin1')), raw.endsWith('<p>kept</p>') && resolve())))
    socket.resume()
    await Promise.race([both, new Promise((r) => setTimeout(r, 5000))])
    socket.destroy()
    // The kept page after the streamed reply's last chunk, never inside it.
    expect(by(raw)).toEqual(['node', 'early'])
    expect(raw.endsWith('<p>kept</p>')).toBe(true)
    expect(raw.indexOf('X-By: early')).toBeGreaterThan(raw.indexOf('\r\n0\r\n\r\n'))
    expect(raw.length).toBeGreaterThan(STREAMED)

    const cut = await exchange(s.port, [get('/cut') + get('/hit')], 2, 10, 1000)
    expect(cut.closed).toBe(true)
    expect(by(cut.raw)).toEqual(['node'])
    const closing = await exchange(s.port, [get('/close') + get('/hit')], 2, 10, 1000)
    expect(closing.closed).toBe(true)
    expect(by(closing.raw)).toEqual(['node'])
    expect(closing.raw).toMatch(/Connection: close/i)
  })
})
