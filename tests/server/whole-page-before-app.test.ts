import http from 'node:http'
import { rmSync } from 'node:fs'
import { gunzipSync, inflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

// Issue 15: a page cached whole for readers without a session is written by src/main.ts before
// Hono sees the request. It must be the very page the app would send: same status, same headers
// (security headers, Vary, encoding), same bytes, and nothing else may take that way.
type Got = { status: number; headers: Record<string, string>; raw: string[]; body: Buffer }
function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => {
        const h: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (k !== 'date' && k !== 'connection' && k !== 'keep-alive' && k !== 'x-cached-answer') h[k] = String(v)
        resolve({ status: res.statusCode!, headers: h, raw: res.rawHeaders.filter((_, i) => i % 2 === 0), body: Buffer.concat(chunks) })
      })
    }).on('error', reject)
  })
}
// Both ways write the same head (hit-looks-like-miss.test.ts): the server here marks an answer
// sent before the app (MARK_CACHED_ANSWERS, for tests only).
const tookEarlyPath = (g: Got) => g.raw.includes('x-cached-answer')

describe('a whole cached page, before the app', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ MARK_CACHED_ANSWERS: 'on' })
  })
  afterAll(async () => {
    await server?.stop()
    if (server) rmSync(server.dataDir, { recursive: true, force: true })
  })

  it('the second reader gets what the first got, headers and bytes, without the app; gzipped or not', async () => {
    for (const ae of [{ 'accept-encoding': 'gzip, deflate' }, {}] as Record<string, string>[]) {
      for (const path of ['/c/lobby/general', '/c/lobby/general?page=1']) {
        const first = await get(server.url + path, ae)
        const second = await get(server.url + path, ae)
        expect(first.status).toBe(200)
        expect(tookEarlyPath(second), path).toBe(true)
        expect(second.headers).toEqual(first.headers)
        expect(second.body.equals(first.body)).toBe(true)
        expect(second.headers['content-security-policy']).toContain("default-src 'none'")
        expect(second.headers['vary']).toBe('HX-Request, Accept-Encoding')
        const html = ae['accept-encoding'] ? gunzipSync(second.body).toString() : second.body.toString()
        expect(html).toContain('</html>')
      }
    }
  })

  it('what it must not answer goes to the app: htmx, a session cookie, HEAD, other queries, escapes', async () => {
    const page = server.url + '/c/lobby/general'
    await get(page)
    expect(tookEarlyPath(await get(page))).toBe(true)
    for (const [label, g] of [
      ['htmx', await get(page, { 'hx-request': 'true' })],
      ['session cookie', await get(page, { cookie: 'cb_session=abc' })],
      ['other query', await get(page + '?q=1')],
      ['escape', await get(server.url + '/c/lobby/gener%61l')],
    ] as const) {
      expect(tookEarlyPath(g), label).toBe(false)
    }
  })

  it('a reader’s own page asked again: the same headers and bytes, before the app, deflated or not; never to another', async () => {
    const v = new Visitor(server.url)
    const fpr = await v.takeIdentity()
    const page = server.url + '/c/lobby/general'
    for (const ae of [{ 'accept-encoding': 'gzip, deflate' }, {}] as Record<string, string>[]) {
      const first = await get(page, { ...ae, cookie: v.cookie })
      const second = await get(page, { ...ae, cookie: v.cookie })
      expect(first.status).toBe(200)
      expect(tookEarlyPath(first)).toBe(false)
      expect(tookEarlyPath(second)).toBe(true)
      expect(second.headers).toEqual(first.headers)
      expect(second.body.equals(first.body)).toBe(true)
      expect(second.headers['content-encoding']).toBe(ae['accept-encoding'] ? 'deflate' : undefined)
      expect(second.headers['cache-control']).toBe('no-store')
      const html = ae['accept-encoding'] ? inflateSync(second.body).toString() : second.body.toString()
      expect(html).toContain(`name="_key" value="${fpr}"`)
    }
    // Another reader at the same address, and the first with a session that is not theirs.
    const w = new Visitor(server.url)
    await w.takeIdentity()
    const theirs = await get(page, { cookie: w.cookie })
    expect(tookEarlyPath(theirs)).toBe(false)
    expect(theirs.body.toString()).not.toContain(`name="_key" value="${fpr}"`)
    const forged = v.cookie.replace(/cb_session=[^;]+/, `cb_session=${/cb_session=([^;]+)/.exec(w.cookie)![1]}`)
    const mixed = await get(page, { cookie: forged })
    expect(tookEarlyPath(mixed)).toBe(false)
    expect(mixed.body.toString()).not.toContain(`name="_key" value="${fpr}"`)
  })
})
