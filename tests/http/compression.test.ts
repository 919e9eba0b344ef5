import { gunzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acceptsGzip } from '../../src/http/compression.ts'
import { makeBoard } from '../support/app.ts'

// Issue 15: what is the same for every reader goes out gzipped when the reader takes it (as Tor
// Browser does: "gzip, deflate"), compressed once when cached; a body with a secret in it never
// (BREACH: its length would tell an attacker who controls part of it the secret).
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

const TOR = { 'accept-encoding': 'gzip, deflate' }
const GENERAL = '/c/lobby/general'

async function threadWithReplies(n: number): Promise<string> {
  const c = board.client()
  await c.takeIdentity()
  await c.get(GENERAL)
  const { res } = await c.post(GENERAL, { title: 'Harbour plans', body: 'The opening post, with words.' })
  const at = res.headers.get('location')!
  for (let i = 0; i < n; i++) {
    await c.get(at)
    expect((await c.post(at, { body: `Reply ${i}: the tide comes in at six, bring the lanterns.` })).res.status).toBe(303)
  }
  return at
}

const raw = async (res: Response) => new Uint8Array(await res.arrayBuffer())

describe('compressed pages (issue 15)', () => {
  it('a reader without a session gets the thread page gzipped, byte for byte the plain page, and the same bytes each time', async () => {
    const at = await threadWithReplies(12)
    const reader = board.client()
    const plain = await reader.request(at)
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-encoding')).toBeNull()
    const plainBytes = await raw(plain)

    const first = await reader.request(at, { headers: TOR })
    expect(first.headers.get('content-encoding')).toBe('gzip')
    expect(first.headers.get('vary')).toContain('Accept-Encoding')
    expect(first.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'")
    const gz = await raw(first)
    expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(plainBytes))).toBe(true)
    expect(gz.length).toBeLessThan(plainBytes.length / 4)
    // Compressed once, when cached: the next reader gets the very same bytes.
    const again = await raw(await reader.request(at, { headers: TOR }))
    expect(Buffer.from(again).equals(Buffer.from(gz))).toBe(true)
    // The board page too.
    const boardPage = await reader.request(GENERAL, { headers: TOR })
    expect(boardPage.headers.get('content-encoding')).toBe('gzip')
    expect(gunzipSync(await raw(boardPage)).toString()).toContain('Harbour plans')
  })

  it('gzip refused (q=0) or not offered: the page goes out as it is', async () => {
    const at = await threadWithReplies(1)
    const reader = board.client()
    await reader.request(at, { headers: TOR }) // cached, with its gzipped bytes
    for (const ae of ['gzip;q=0, deflate', 'identity', 'br', '*;q=0']) {
      const res = await reader.request(at, { headers: { 'accept-encoding': ae } })
      expect(res.headers.get('content-encoding'), ae).toBeNull()
      expect(await res.text()).toContain('Harbour plans')
    }
  })

  it('a page with a form token (a reader with a session) is never compressed (BREACH)', async () => {
    const at = await threadWithReplies(1)
    const c = board.client()
    await c.takeIdentity()
    const res = await c.request(at, { headers: TOR })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBeNull()
    const text = await res.text()
    expect(text).toMatch(/name="_csrf" value="[^"]+"/)
    // Nor any form page a reader without a session gets (its token is in the body).
    const form = await board.client().request('/identity', { headers: TOR })
    expect(form.headers.get('content-encoding')).toBeNull()
    expect(await form.text()).toMatch(/name="_csrf"/)
  })

  it('static files go out gzipped when taken, and unchanged', async () => {
    const c = board.client()
    for (const name of ['style.css', 'htmx.min.js', 'browser-key.js']) {
      const plain = await raw(await c.request(`/static/${name}`))
      const res = await c.request(`/static/${name}`, { headers: TOR })
      expect(res.headers.get('content-encoding'), name).toBe('gzip')
      expect(res.headers.get('vary')).toContain('Accept-Encoding')
      expect(Buffer.from(gunzipSync(await raw(res))).equals(Buffer.from(plain)), name).toBe(true)
    }
  })
})

describe('Accept-Encoding', () => {
  it('takes gzip as browsers offer it, and honours q=0', () => {
    expect(acceptsGzip('gzip, deflate')).toBe(true)
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true)
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true)
    expect(acceptsGzip('*')).toBe(true)
    expect(acceptsGzip(undefined)).toBe(false)
    expect(acceptsGzip('identity')).toBe(false)
    expect(acceptsGzip('gzip;q=0')).toBe(false)
    expect(acceptsGzip('gzip;q=0.0, *')).toBe(false)
    expect(acceptsGzip('*;q=0')).toBe(false)
  })
})
