import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../support/server.ts'

// A form's body over real HTTP, as Node's parser hands it to the app: a body whose length is said
// up front is judged by that length before any of it is read (src/http/middleware/form-body.ts),
// and a body that arrives in pieces is still read whole. (tests/http/posts.test.ts checks the
// same limit in process, where a request carries no Content-Length.)
let server: RunningServer
let port: number
beforeAll(async () => {
  server = await startServer({ BODY_LIMIT_BYTES: '1024' })
  port = Number(new URL(server.url).port)
})
afterAll(() => server?.stop())

/** Send `parts` on one connection, `gapMs` apart; resolve with what came back once the server closes it or answers in full. */
function exchange(parts: string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let got = ''
    const timer = setTimeout(() => (socket.destroy(), resolve(got)), 10_000)
    socket.on('data', (d) => {
      got += d
      // One whole response (these are small): headers and a body of its Content-Length.
      const end = got.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: (\d+)/i.exec(got)?.[1]
      if (end >= 0 && length && Buffer.byteLength(got) >= Buffer.byteLength(got.slice(0, end + 4)) + Number(length)) {
        clearTimeout(timer)
        socket.destroy()
        resolve(got)
      }
    })
    socket.on('close', () => (clearTimeout(timer), resolve(got)))
    socket.on('error', reject)
    socket.on('connect', async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0 && gapMs) await new Promise((r) => setTimeout(r, gapMs))
        if (!socket.destroyed) socket.write(p)
      }
    })
  })
}

const head = (extra: string) => `POST /identity/disposable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n${extra}\r\n`

describe('a form body over real HTTP', () => {
  it('a Content-Length over the limit gets 413 and its message before any of the body is sent', async () => {
    const res = await exchange([head('Content-Length: 5000\r\n')])
    expect(res).toMatch(/^HTTP\/1\.1 413 /)
    expect(res).toContain('larger than 1 KiB')
  })

  it('a Content-Length that is not a plain number never reaches the app: Node refuses it with 400', async () => {
    for (const length of ['abc', '5x', '-1', '+5', '1e5']) {
      const res = await exchange([head(`Content-Length: ${length}\r\n`) + 'a=b'])
      expect(res, `Content-Length: ${length}`).toMatch(/^HTTP\/1\.1 400 /)
    }
  })

  it('a chunked body over the limit gets 413 too', async () => {
    const chunk = 'a'.repeat(800)
    const res = await exchange([head('Transfer-Encoding: chunked\r\n'), `${(800).toString(16)}\r\n${chunk}\r\n`, `${(800).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`], 100)
    expect(res).toMatch(/^HTTP\/1\.1 413 /)
    expect(res).toContain('larger than 1 KiB')
  })

  it('a body within its Content-Length that arrives in two pieces is read whole (its second half is what is refused)', async () => {
    // Not valid UTF-8 only in the part that comes 300 ms later: the answer says so, so the app read it.
    const body = `a=${'b'.repeat(100)}&c=%FF`
    const res = await exchange([head(`Content-Length: ${body.length}\r\n`) + body.slice(0, 50), body.slice(50)], 300)
    expect(res).toMatch(/^HTTP\/1\.1 400 /)
    expect(res).toContain('not valid UTF-8')
    // The same body whole and valid is not refused for its form.
    const good = `a=${'b'.repeat(100)}&c=d`
    const ok = await exchange([head(`Content-Length: ${good.length}\r\n`) + good.slice(0, 50), good.slice(50)], 300)
    expect(ok).not.toMatch(/^HTTP\/1\.1 (400|413) /)
  })
})
