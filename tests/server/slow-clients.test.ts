import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../support/server.ts'

// A slow client must not hold a socket for minutes: Node's defaults let a body trickle in a byte
// every 5 s for 323 s, and headers take 83 s to time out. The real server, with short settings.
let server: RunningServer
let port: number
beforeAll(async () => {
  server = await startServer({ HEADERS_TIMEOUT_SECONDS: '2', REQUEST_TIMEOUT_SECONDS: '3', KEEP_ALIVE_TIMEOUT_SECONDS: '1', MAX_CONNECTIONS: '4' })
  port = Number(new URL(server.url).port)
})
afterAll(() => server?.stop())

type Conn = { socket: Socket; received: () => string; closedAfter: (ms: number) => Promise<number | null> }

function open(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const started = Date.now()
    let data = ''
    let closedAt: number | null = null
    const waiting: (() => void)[] = []
    socket.on('data', (d) => (data += d))
    socket.on('error', () => {})
    socket.on('close', () => {
      closedAt = Date.now() - started
      for (const w of waiting) w()
    })
    socket.on('connect', () =>
      resolve({
        socket,
        received: () => data,
        // Resolves with how long after connecting the server closed it, or null if it had not by then.
        closedAfter: (ms) =>
          new Promise((done) => {
            if (closedAt !== null) return done(closedAt)
            const t = setTimeout(() => done(null), ms)
            waiting.push(() => (clearTimeout(t), done(closedAt)))
          }),
      }),
    )
    socket.on('error', reject)
  })
}

/** Write a byte every 500 ms until the socket closes. */
function trickle(c: Conn, byte: string) {
  const timer = setInterval(() => (c.socket.destroyed ? clearInterval(timer) : c.socket.write(byte)), 500)
  return () => clearInterval(timer)
}

describe('slow clients', () => {
  it('a body sent a byte at a time is cut off after REQUEST_TIMEOUT_SECONDS', async () => {
    const c = await open()
    c.socket.write('POST /identity/disposable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n')
    const stop = trickle(c, 'a')
    const closed = await c.closedAfter(9_000)
    stop()
    expect(closed, 'still open after 9 s').not.toBeNull()
    expect(closed!).toBeLessThan(6_000)
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/)
  })

  it('headers sent a line at a time are cut off after HEADERS_TIMEOUT_SECONDS', async () => {
    const c = await open()
    c.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    const stop = trickle(c, 'X')
    const closed = await c.closedAfter(9_000)
    stop()
    expect(closed, 'still open after 9 s').not.toBeNull()
    expect(closed!).toBeLessThan(5_000)
  })

  it('an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const c = await open()
    c.socket.write('GET /privacy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const closed = await c.closedAfter(8_000)
    expect(c.received()).toMatch(/^HTTP\/1\.1 200/)
    expect(closed, 'still open after 8 s').not.toBeNull()
    expect(closed!).toBeLessThan(4_000)
  })

  it('past MAX_CONNECTIONS a new connection is refused at once; once they close, it is served again', async () => {
    const held = await Promise.all([open(), open(), open(), open()])
    for (const h of held) h.socket.write('GET / HTTP/1.1\r\n')
    await new Promise((r) => setTimeout(r, 200))
    const extra = await open()
    extra.socket.write('GET /privacy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    expect(await extra.closedAfter(3_000), 'the fifth connection was not refused').not.toBeNull()
    expect(extra.received()).toBe('')
    for (const h of held) h.socket.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const later = await open()
    later.socket.write('GET /privacy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    await later.closedAfter(5_000)
    expect(later.received()).toMatch(/^HTTP\/1\.1 200/)
  })
})
