import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import type { EarlyAnswer, EarlyAsked } from './middleware/whole-page-cache.ts'

type Answers = (r: EarlyAsked) => EarlyAnswer | undefined | Promise<EarlyAnswer | undefined>

/**
 * Cache hits answered on the socket, before Node's HTTP layer (issue 15: "cache hits should not
 * pay for a framework they do not need"). A page cached whole costs little to find (about 1 µs);
 * Node's parser, request and response objects cost most of the rest, about a third of a hit. So a
 * new connection is read here first, and each request on it that is a plain GET this code fully
 * understands, and whose page is kept (whole-page-cache.ts earlyAnswers), is answered with the
 * kept bytes. Such a GET with no page kept is given to Node's server on a stream of this
 * connection's own (viaNode below): Node and the app answer it as if it had come alone, and the
 * next request is read here again. At the first request of any other kind (a form, HEAD, anything
 * unclear) the connection is handed to Node's HTTP server, with every byte not yet answered, and
 * stays there: Node parses it exactly as if it had come first.
 *
 * What is taken here, and nothing else (a request smuggled past a proxy needs two readers of one
 * byte stream to disagree on where a request ends; here the end is a head with no body, and any
 * head that might say otherwise goes to Node whole):
 * - a whole head in what has arrived (a head split across reads is Node's: its header deadline
 *   applies), at most Node's 16 KB;
 * - the request line exactly `GET /target HTTP/1.1`, the target printable ASCII;
 * - each header line `name: value`, a token for the name and printable ASCII for the value (no
 *   bare CR or LF, no folding, no control or 8-bit bytes);
 * - at most 100 header lines, exactly one Host; no Content-Length, Transfer-Encoding, Upgrade,
 *   Expect or Proxy-Connection (Node reads it as Connection); Connection, if sent, exactly
 *   keep-alive; Cookie and Accept-Encoding at most once.
 * Answers are written in order, one request at a time; a reader that does not read what it asked
 * for is not read from until it does (its pipelined requests wait in the kernel, not here). As Node
 * would, a connection that sends nothing is closed after the header deadline, and one idle after
 * an answer (or not reading it) after the keep-alive time. Nothing here reads an address.
 */
export function answerEarlyOnSockets(server: Server, answers: Answers, times: Times): { close: () => void } {
  const nodes = server.listeners('connection') as ((socket: Duplex) => void)[]
  server.removeAllListeners('connection')
  const held = new Set<Socket>()
  const state = { closing: false }
  const toNodeServer = (socket: Duplex) => {
    for (const listener of nodes) listener.call(server, socket)
  }
  const handOver = (socket: Socket) => {
    held.delete(socket)
    toNodeServer(socket)
  }
  // A reply Node writes on a connection's stream (toNode below): told when it is all written.
  const replies = new WeakMap<object, (whole: boolean) => void>()
  server.prependListener('request', (req, res) => {
    const replied = replies.get(req.socket)
    if (replied) res.once('close', () => replied(res.writableFinished))
  })
  const toNode = (socket: Socket, replied: (whole: boolean) => void): Duplex => {
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        if (socket.destroyed) return done()
        if (socket.write(chunk)) done()
        else socket.once('drain', () => done())
      },
      // Node ends its side (a reply that closes the connection): the socket ends after it.
      final(done) {
        socket.end()
        done()
      },
    })
    // What Node and the app may call on a socket: here the socket path's own deadlines apply
    // (requestMs while Node answers), so these do nothing; and there is no address to read.
    const none = function (this: Duplex) {
      return this
    }
    Object.assign(stream, { setTimeout: none, setNoDelay: none, setKeepAlive: none })
    replies.set(stream, replied)
    toNodeServer(stream)
    return stream
  }
  const tail = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(times.keepAliveMs / 1000)}\r\n\r\n`
  server.on('connection', (socket: Socket) => {
    if (state.closing) return void socket.destroy()
    held.add(socket)
    socket.once('close', () => held.delete(socket))
    readFirst(socket, answers, handOver, toNode, times, tail, state)
  })
  // What server.close() does for Node's idle connections, for the ones still read here: each ends
  // once its answer in hand is written (server.close() waits for them otherwise).
  return {
    close: () => {
      state.closing = true
      for (const socket of held) socket.emit(CLOSING)
    },
  }
}
type Times = { headersMs: number; keepAliveMs: number; requestMs: number }
const CLOSING = 'cellboard:closing'
/** Node waits a second past the Keep-Alive it announces, so a reader reusing the connection at the limit does not race its close. */
const KEEP_ALIVE_SLACK_MS = 1000

const HEAD_END = Buffer.from('\r\n\r\n')
/** Node's default maxHeaderSize: a longer head is Node's to refuse (431). */
const HEAD_MAX = 16 * 1024
/** Bytes held while an answer is awaited before reading stops. */
const HELD_MAX = 64 * 1024
const LINES_MAX = 100
/** A whole head as taken here: the request line, then header lines of a token, a colon and printable ASCII. */
const HEAD = /^GET (\/[!-~]*) HTTP\/1\.1((?:\r\n[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e]*)*)$/

/** A head (without its blank line) as this path takes it, or null for one that is Node's. */
export function readHead(head: string): EarlyAsked | null {
  const m = HEAD.exec(head)
  if (!m) return null
  const lines = m[2]!
  let hosts = 0
  let htmx = false
  let cookie: string | undefined
  let acceptEncoding: string | undefined
  // Each line is "\r\nname:value"; only names of the lengths below matter, lowered when they match.
  // More lines than a browser sends are Node's (it reads only the first 2,000).
  let count = 0
  for (let at = 0; at < lines.length; ) {
    if (++count > LINES_MAX) return null
    const next = lines.indexOf('\r\n', at + 2)
    const end = next < 0 ? lines.length : next
    const colon = lines.indexOf(':', at + 2)
    const length = colon - at - 2
    if (length === 4 || length === 6 || length === 7 || length === 10 || length === 14 || length === 15 || length === 16 || length === 17) {
      const name = lines.slice(at + 2, colon).toLowerCase()
      if (name === 'host') hosts++
      else if (name === 'cookie') {
        if (cookie !== undefined) return null
        cookie = lines.slice(colon + 1, end).trim()
      } else if (name === 'accept-encoding') {
        if (acceptEncoding !== undefined) return null
        acceptEncoding = lines.slice(colon + 1, end).trim()
      } else if (name === 'hx-request') htmx = true
      else if (name === 'connection') {
        if (lines.slice(colon + 1, end).trim().toLowerCase() !== 'keep-alive') return null
      } else if (name === 'content-length' || name === 'transfer-encoding' || name === 'upgrade' || name === 'expect' || name === 'proxy-connection') return null
    }
    at = end
  }
  return hosts === 1 ? { url: m[1]!, htmx, cookie, acceptEncoding } : null
}

/** The Date header's value, made at most once a second (as Node does); dateAt is its second. */
let dateAt = 0
let dateText = ''
function date(): string {
  const now = Date.now()
  if (now - dateAt >= 1000 || now < dateAt) {
    dateAt = now - (now % 1000)
    dateText = new Date(dateAt).toUTCString()
  }
  return dateText
}

/**
 * A response's head as written, made at most once a second per answer (the Date changes): no
 * per-request string conversion. Only the head: the body goes out as the cache keeps it, never
 * copied (a copy per second of a big page, held by each reader that does not read it, would be
 * memory outside the cache's bound). Held weakly by the answer, which the page cache holds.
 */
const heads = new WeakMap<EarlyAnswer, { at: number; head: Buffer }>()
function headOf(answer: EarlyAnswer, tail: string): Buffer {
  const text = date()
  const kept = heads.get(answer)
  if (kept !== undefined && kept.at === dateAt) return kept.head
  const head = Buffer.from(`HTTP/1.1 200 OK\r\n${answer.lines}Date: ${text}\r\n${tail}`, 'latin1')
  heads.set(answer, { at: dateAt, head })
  return head
}

function readFirst(socket: Socket, answers: Answers, handOver: (socket: Socket) => void, toNode: (socket: Socket, replied: (whole: boolean) => void) => Duplex, times: Times, tail: string, server: { closing: boolean }): void {
  let held: Buffer | undefined
  let node: Duplex | undefined // this connection's stream to Node's server, once a GET needed the app
  // Node's stream costs a request about 15–40 µs more than Node alone (measured: a stylesheet 65 →
  // 80 CPU-µs, a page 320 → 360): worth it for one miss among hits (a reader's own page rebuilt),
  // not for a connection whose requests keep missing (a browser's stylesheet and scripts after its
  // page, a crawler): a second GET in a row that needs Node takes the connection there for good.
  let missesInRow = 0
  // The socket's idle deadline now: the header deadline until a first answer, the request deadline
  // while Node answers, the keep-alive time (and Node's second) after an answer.
  let timerMs = times.headersMs
  const timer = (ms: number) => {
    if (ms !== timerMs) socket.setTimeout((timerMs = ms))
  }
  // What the connection waits for before its next request is read: an answer looked up, Node's
  // reply, or the reader to read (the socket's drain); false for nothing.
  let waiting: false | 'answer' | 'node' | 'drain' = false
  let ended = false

  const onData = (chunk: Buffer) => {
    held = held === undefined ? chunk : Buffer.concat([held, chunk])
    if (!waiting) go()
    else if (held.length > HELD_MAX) socket.pause()
  }
  const wake = () => {
    if (!waiting) go()
  }
  const onEnd = () => {
    ended = true
    wake()
  }
  const onDrain = () => {
    if (waiting !== 'drain') return
    waiting = false
    socket.resume()
    go()
  }
  const onError = () => socket.destroy()
  const onIdle = () => socket.destroy()
  socket.on(CLOSING, wake)
  socket.once('close', () => node?.destroy())
  socket.on('data', onData)
  socket.on('end', onEnd)
  socket.on('drain', onDrain)
  socket.on('error', onError)
  socket.setTimeout(times.headersMs, onIdle)

  function go(): void {
    while (held !== undefined) {
      if (socket.destroyed) return
      const end = held.indexOf(HEAD_END)
      if (end < 0 || end > HEAD_MAX) return away()
      const asked = readHead(held.toString('latin1', 0, end))
      const got = asked ? answers(asked) : undefined
      if (got instanceof Promise) {
        waiting = 'answer'
        got.then(
          (answer) => {
            waiting = false
            if (take(end, answer)) wake()
          },
          () => {
            waiting = false
            away()
          },
        )
        return
      }
      if (!asked) return away()
      if (!take(end, got) || waiting) return
    }
    if (ended || server.closing) return void socket.end()
    // Reading stopped while an answer was awaited (HELD_MAX): all held is answered now.
    if (socket.isPaused()) socket.resume()
  }

  /** The head ending at `end` answered here, or by Node; false when the connection went to Node for good. */
  function take(end: number, answer: EarlyAnswer | undefined): boolean {
    if (answer) answered(end, answer)
    else if (missesInRow > 0) return (away(), false)
    else viaNode(end)
    return true
  }

  function answered(end: number, answer: EarlyAnswer): void {
    if (socket.destroyed) return
    missesInRow = 0
    held = end + 4 === held!.length ? undefined : held!.subarray(end + 4)
    socket.cork()
    socket.write(headOf(answer, tail))
    socket.write(answer.body)
    socket.uncork()
    afterReply()
  }

  /** An answer written: the keep-alive deadline, and no more reading until the reader has read it. */
  function afterReply(): void {
    timer(times.keepAliveMs + KEEP_ALIVE_SLACK_MS)
    if (socket.writableNeedDrain) {
      waiting = 'drain'
      socket.pause()
    }
  }

  /**
   * A GET read here with no page kept for it: Node's server answers it (the app, or its own early
   * path), on a stream of its own for this connection, as if it had come alone; its reply's bytes go
   * out on the socket in order, and what follows is read here again. A reply Node cut short ends
   * the connection, as it would have.
   */
  function viaNode(end: number): void {
    if (socket.destroyed) return
    const head = held!.subarray(0, end + 4)
    held = end + 4 === held!.length ? undefined : held!.subarray(end + 4)
    waiting = 'node'
    missesInRow++
    timer(times.requestMs)
    if (node === undefined) {
      const stream = (node = toNode(socket, replied))
      stream.once('close', () => {
        if (node === stream) node = undefined
        // Closed by Node before its reply was whole (a head it refused): so is the connection.
        if (waiting === 'node' && !socket.destroyed) socket.end()
      })
    }
    node.push(head)
  }
  function replied(whole: boolean): void {
    if (!whole) return void socket.destroy()
    waiting = false
    afterReply()
    wake()
  }

  /** The connection, with what it sent and was not answered, to Node's HTTP server from here on. */
  function away(): void {
    if (socket.destroyed) return
    // A reader that stopped sending (before an answer awaited turned out to be the app's): Node,
    // which would never hear of the end now, ends such a connection too (httpAllowHalfOpen is off).
    if (ended || server.closing) return void socket.end()
    socket.removeListener(CLOSING, wake)
    socket.removeListener('data', onData)
    socket.removeListener('end', onEnd)
    socket.removeListener('drain', onDrain)
    socket.removeListener('error', onError)
    socket.removeListener('timeout', onIdle)
    socket.setTimeout(0)
    const rest = held
    held = undefined
    node?.destroy()
    handOver(socket)
    if (rest !== undefined) socket.unshift(rest)
    if (socket.isPaused()) socket.resume()
  }
}
