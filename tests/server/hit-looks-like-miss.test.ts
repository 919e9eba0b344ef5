import { rmSync } from 'node:fs'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

// The attack (an outsider's report): a page built by the app went out with its header names in
// lower case, in one order; the same page sent from the cache (on the socket, or before Hono) with
// them capitalised, in another. So the first request after a write told anyone, exactly and
// through Tor's jitter, whether any reader without a session had opened the page since: "did
// anyone read thread 42 after reply 17?". A page sent from the cache must look as one built
// afresh, byte for byte but the Date.

/** The head of each response to `requests`, sent one after another on one connection (Date taken out). */
// The server marks what it sends from the cache (MARK_CACHED_ANSWERS, for tests only), so the test
// knows the hits were hits; the mark is taken out before the heads are compared.
const MARK = '\r\nx-cached-answer: 1'
const marked: boolean[] = []
function heads(url: string, requests: string[]): Promise<string[]> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname)
    const got: string[] = []
    let buf = Buffer.alloc(0)
    const next = () => {
      if (got.length === requests.length) return void (socket.end(), resolve(got))
      socket.write(requests[got.length]!)
    }
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buf.subarray(0, end).toString('latin1')
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0)
        const bodyless = requests[got.length]!.startsWith('HEAD ')
        if (!bodyless && buf.length < end + 4 + length) return
        buf = buf.subarray(end + 4 + (bodyless ? 0 : length))
        got.push(head.replace(/\r\nDate: [^\r]*/, '').replace(MARK, ''))
        marked.push(head.includes(MARK))
        next()
      }
    })
    socket.on('error', reject)
    socket.setTimeout(10_000, () => (socket.destroy(), reject(new Error(`no answer: ${got.length} of ${requests.length}`))))
    next()
  })
}
const ask = (method: string, path: string, headers: string) => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`

describe('a page sent from the cache looks like one built afresh', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ MARK_CACHED_ANSWERS: 'on' })
  })
  afterAll(async () => {
    await server?.stop()
    if (server) rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('a reader without a session: the same head from the app, from the socket and from before Hono, gzipped or not', async () => {
    for (const [path, accept] of [['/c/lobby/general', 'Accept-Encoding: gzip, deflate\r\n'], ['/c/lobby/general?page=1', '']] as const) {
      // A write would drop the page: a fresh server has never built /c/lobby/general?page=1 either.
      marked.length = 0
      const [built] = await heads(server.url, [ask('GET', path, accept)])
      const [onSocket] = await heads(server.url, [ask('GET', path, accept)])
      // A HEAD first hands the connection to Node's server for good: the GET after it is answered before Hono.
      const [, beforeHono] = await heads(server.url, [ask('HEAD', path, accept), ask('GET', path, accept)])
      // Built by the app, then from the cache on the socket, then (after the HEAD, the app's) before Hono.
      expect(marked, path).toEqual([false, true, false, true])
      expect(built).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(built).toContain("default-src 'none'")
      expect(onSocket, path).toBe(built)
      expect(beforeHono, path).toBe(built)
    }
  })

  it('a reader’s own page asked again: the same head as when it was built, deflated or not', async () => {
    const v = new Visitor(server.url)
    await v.takeIdentity()
    for (const accept of ['Accept-Encoding: gzip, deflate\r\n', '']) {
      const request = ask('GET', '/c/lobby/general', `${accept}Cookie: ${v.cookie}\r\n`)
      marked.length = 0
      const [built, again] = await heads(server.url, [request, request])
      expect(marked).toEqual([false, true])
      expect(built).toContain('no-store')
      expect(again).toBe(built)
    }
  })
})
