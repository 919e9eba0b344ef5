import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acceptsDeflate, acceptsGzip, adler32, adler32Combine, deflateAround, gzipOnce, gzipOnceOffLoop } from '../../src/http/compression.ts'
import { makeBoard } from '../support/app.ts'
import { withCellKey } from '../support/letters.ts'

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

  it('a page built on a busy node: level 1 for its first reader, level 9 once it is sent again', async () => {
    board.close()
    board = await makeBoard({ GZIP_QUICK_ABOVE: '0' }) // every moment counts as busy
    const at = await threadWithReplies(3)
    const reader = board.client()
    const first = Buffer.from(await raw(await reader.request(at, { headers: TOR })))
    const page = gunzipSync(first)
    expect(page.toString()).toContain('Harbour plans')
    expect(gzipSync(page, { level: 1 }).equals(gzipOnce(page))).toBe(false)
    expect(first.equals(gzipSync(page, { level: 1 }))).toBe(true)
    // Sent again (the whole-page middleware here): gzipped anew at 9, in libuv's threads.
    expect(Buffer.from(await raw(await reader.request(at, { headers: TOR }))).equals(first)).toBe(true)
    await expect.poll(async () => Buffer.from(await raw(await reader.request(at, { headers: TOR }))).equals(gzipOnce(page)), { timeout: 5000 }).toBe(true)
    // Another address of the same page (sendAround's hit, not the middleware's): level 9 too.
    const same = await reader.request(`${at}?page=1`, { headers: TOR })
    expect(Buffer.from(await raw(same)).equals(gzipOnce(page))).toBe(true)
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

  it('a reader with a session: the cached posts deflated, their token and identity in stored blocks, never compressed (BREACH)', async () => {
    const at = await threadWithReplies(12)
    const c = board.client()
    const fpr = await c.takeIdentity()
    const plain = await c.request(at)
    expect(plain.headers.get('content-encoding')).toBeNull()
    const plainText = await plain.text()

    const res = await c.request(at, { headers: TOR })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('deflate')
    expect(res.headers.get('vary')).toContain('Accept-Encoding')
    const body = Buffer.from(await raw(res))
    const text = inflateSync(body).toString()
    // The same page; only the form token differs, as it does between any two responses (masked).
    const unmasked = (t: string) => t.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""')
    expect(unmasked(text)).toBe(unmasked(plainText))
    const token = /name="_csrf" value="([^"]+)"/.exec(text)![1]!
    // The secrets are in the body as they are in the page: stored, not compressed, so the body's
    // length cannot depend on how well they compress beside text an attacker wrote.
    expect(body.includes(Buffer.from(token))).toBe(true)
    expect(body.includes(Buffer.from(fpr.slice(-16)))).toBe(true)
    expect(body.includes(Buffer.from('<h1>Harbour plans</h1>'))).toBe(true)
    // The posts (the same for everyone) are compressed: the 12 replies' text is not there as such.
    expect(body.includes(Buffer.from('the tide comes in at six'))).toBe(false)
    expect(body.length).toBeLessThan(Buffer.byteLength(plainText) * 0.6)

    // gzip only: no way to keep the secrets out of the compressor, so the page goes out as it is.
    const gzipOnly = await c.request(at, { headers: { 'accept-encoding': 'gzip' } })
    expect(gzipOnly.headers.get('content-encoding')).toBeNull()
    // Nor any other page of a reader with a session (below).
  })

  it('every other page and fragment a reader without a session GETs goes out gzipped: the same page, its token masked anew', async () => {
    await threadWithReplies(2)
    const reader = board.client()
    // What differs between any two responses: the form tokens (masked anew), a login's nonce.
    const unmasked = (t: string) => t.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""').replace(/data-csrf="[^"]+"/g, '').replace(/nonce: \S+</g, 'nonce: <')
    // The front page, a cell's page, a search, a form page with a token, a page that is not there;
    // and a board page for htmx (built around its cached part: its token in a stored block).
    const pages: [string, Record<string, string>, number, string][] = [
      ['/', {}, 200, 'gzip'],
      ['/c/lobby', {}, 200, 'gzip'],
      ['/search?q=harbour', {}, 200, 'gzip'],
      ['/identity', {}, 200, 'gzip'],
      ['/c/lobby/nowhere', {}, 404, 'gzip'],
      ['/c/lobby/general', { 'hx-request': 'true' }, 200, 'deflate'],
    ]
    for (const [path, extra, status, encoding] of pages) {
      const plain = await reader.request(path, { headers: extra })
      expect(plain.status, path).toBe(status)
      expect(plain.headers.get('content-encoding'), path).toBeNull()
      const plainText = await plain.text()
      const res = await reader.request(path, { headers: { ...TOR, ...extra } })
      expect(res.status, path).toBe(status)
      expect(res.headers.get('content-encoding'), path).toBe(encoding)
      expect(res.headers.get('vary'), path).toContain('Accept-Encoding')
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'")
      const gz = await raw(res)
      if (encoding === 'gzip') expect(Number(res.headers.get('content-length')), path).toBe(gz.length)
      const text = (encoding === 'gzip' ? gunzipSync(gz) : inflateSync(gz)).toString()
      expect(unmasked(text), path).toBe(unmasked(plainText))
      if (plainText.length > 4000) expect(gz.length, path).toBeLessThan(plainText.length / 2)
    }
    // The token is there, and a different string in each response (csrf.ts): what compression
    // could be made to leak of it is nothing.
    const tokens = await Promise.all([0, 1].map(async () => /name="_csrf" value="([^"]+)"/.exec(gunzipSync(await raw(await reader.request('/identity', { headers: TOR }))).toString())![1]))
    expect(tokens[0]).not.toBe(tokens[1])
  })

  it('a reader with a session, or a form answered: not compressed (what is theirs beside what others wrote)', async () => {
    await threadWithReplies(2)
    const c = board.client()
    await c.takeIdentity()
    for (const path of ['/', '/c/lobby', '/search?q=harbour', '/identity']) {
      const res = await c.request(path, { headers: TOR })
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-encoding'), path).toBeNull()
      expect(await res.text(), path).toContain('</html>')
    }
    // An answer to a form carries back what its sender wrote: a letter refused (its ciphertext is
    // none), by a reader without a session, goes out as it is.
    await withCellKey(board)
    const anonymous = board.client()
    await anonymous.get('/c/lobby/letters/new')
    const { res, text } = await anonymous.post('/c/lobby/letters', { text: 'The words of a letter, kept.', ciphertext: 'not a letter' }, TOR)
    expect(res.status).toBe(422)
    expect(res.headers.get('content-encoding')).toBeNull()
    expect(text).toContain('The words of a letter, kept.')
  })

  it('feeds go out gzipped when taken: a board’s gzipped once, the decisions’ per request', async () => {
    await threadWithReplies(1)
    const c = board.client()
    for (const path of [`${GENERAL}/feed.atom`, '/c/lobby/decisions/feed.atom']) {
      const plain = Buffer.from(await raw(await c.request(path)))
      expect(plain.toString()).toContain('<feed')
      const res = await c.request(path, { headers: TOR })
      expect(res.headers.get('content-encoding'), path).toBe('gzip')
      expect(res.headers.get('vary')).toContain('Accept-Encoding')
      expect(gunzipSync(await raw(res)).equals(plain), path).toBe(true)
    }
    // Built for a member (what only a tier may read, beside what others wrote): not compressed.
    await c.takeIdentity()
    const mine = await c.request('/c/lobby/decisions/feed.atom', { headers: TOR })
    expect(mine.headers.get('content-encoding')).toBeNull()
    expect(await mine.text()).toContain('<feed')
  })

  it('static files go out gzipped when taken, and unchanged', async () => {
    const c = board.client()
    for (const name of ['style.css', 'htmx.min.js', 'app.js', 'pow-worker.js']) {
      const plain = await raw(await c.request(`/static/${name}`))
      const res = await c.request(`/static/${name}`, { headers: TOR })
      expect(res.headers.get('content-encoding'), name).toBe('gzip')
      expect(res.headers.get('vary')).toContain('Accept-Encoding')
      expect(Buffer.from(gunzipSync(await raw(res))).equals(Buffer.from(plain)), name).toBe(true)
    }
    // Our own modules go out bundled and minified (their source, with its comments, is in static/),
    // and the stylesheet minified.
    const source = (name: string) => readFileSync(new URL(`../../static/${name}`, import.meta.url)).length
    const app = await raw(await c.request('/static/app.js'))
    expect(app.length).toBeLessThan((source('browser-key.js') + source('pow.js') + source('letter.js')) * 0.8)
    expect((await raw(await c.request('/static/style.css'))).length).toBeLessThan(source('style.css') * 0.8)
    // Pages load the bundle, not its parts, which are not served on their own.
    expect((await c.request('/static/browser-key.js')).status).toBe(404)
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

describe('deflateAround', () => {
  it('gives one zlib stream that inflates to head + middle + foot, whatever their sizes', () => {
    const text = (n: number) => Buffer.from('the lanterns by the harbour '.repeat(Math.ceil(n / 28)).slice(0, n))
    for (const [h, m, f] of [[0, 0, 0], [10, 5000, 0], [70_000, 100, 140_000], [3000, 200_000, 9000]] as const) {
      const head = randomBytes(h)
      const middle = { bytes: text(m) }
      const foot = randomBytes(f)
      const out = deflateAround(head, middle, foot)
      expect(Buffer.from(inflateSync(out)).equals(Buffer.concat([head, middle.bytes, foot])), `${h}/${m}/${f}`).toBe(true)
      // The head and foot are stored: they are in the stream as they are.
      if (h > 0) expect(Buffer.from(out).includes(head.subarray(0, Math.min(h, 1000)))).toBe(true)
      if (f > 0) expect(Buffer.from(out).includes(foot.subarray(f - Math.min(f, 1000)))).toBe(true)
    }
  })

  it('a page gzipped in libuv\'s threads (for its first reader) is the very bytes gzipped at once (for a reader meanwhile)', async () => {
    const page = readFileSync(new URL('../../bench/fixtures/thread-200.txt', import.meta.url))
    for (const bytes of [page, Buffer.from('x'), Buffer.alloc(0), randomBytes(70_001)]) {
      const off = await gzipOnceOffLoop(bytes)
      expect(Buffer.from(off).equals(Buffer.from(gzipOnce(bytes)))).toBe(true)
      expect(Buffer.from(gunzipSync(off)).equals(bytes)).toBe(true)
    }
  })

  it('Adler-32 and its combination agree with zlib', () => {
    const a = randomBytes(70_001)
    const b = Buffer.alloc(12_345, 0xff)
    const zlibAdler = (x: Buffer) => deflateSync(x).readUInt32BE(deflateSync(x).length - 4)
    expect(adler32(a)).toBe(zlibAdler(a))
    expect(adler32(b)).toBe(zlibAdler(b))
    expect(adler32Combine(adler32(a), adler32(b), b.length)).toBe(zlibAdler(Buffer.concat([a, b])))
    expect(acceptsDeflate('gzip, deflate')).toBe(true)
    expect(acceptsDeflate('gzip, deflate;q=0')).toBe(false)
    expect(acceptsDeflate('gzip, br')).toBe(false)
  })
})
