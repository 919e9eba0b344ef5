import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { constants, deflateRawSync, gzip, gzipSync } from 'node:zlib'

// Compression (issue 15). A Tor circuit carries a few hundred kilobytes a second, and a thread
// page of 200 replies is 20× smaller gzipped. What is the same for every reader (a page cached
// whole for readers without a session, the static files) is compressed once, when it is built or
// read (a page built while the node is busy: twice, gzipQuick below), and a request only chooses
// which bytes to send; only a feed built per viewer is compressed for its one response.
//
// BREACH: a compressed body that holds a secret (a form token, a session's identity) beside text
// an attacker chose (a post, a search query) lets the attacker guess the secret byte by byte from
// the body's length. Only bodies without secrets are compressed here: the pages cached whole
// exist only when rendering made no form token and the reader has no session (http/render.ts),
// and static files hold nothing of anyone. A page of a reader with a session is compressed only
// around its secrets (deflateAround, below). Every other page a reader without a session GETs is
// gzipped per response (http/middleware/gzip-pages.ts): its form tokens are masked anew each time
// (ephemeral/csrf.ts), so their compressed length follows nothing. Anything else goes out as it is.

/**
 * Whether an Accept-Encoding header takes one of these names of a coding: named without `q=0`,
 * or else (if `star` counts) `*` without it.
 */
function takes(header: string | undefined, names: readonly string[], star = true): boolean {
  if (!header) return false
  let any = false
  for (const item of header.split(',')) {
    const [name, ...params] = item.split(';')
    const coding = name!.trim().toLowerCase()
    if (!names.includes(coding) && !(star && coding === '*')) continue
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)).find(Boolean)
    const ok = !q || Number(q[1]) > 0
    if (coding !== '*') return ok
    any = ok
  }
  return any
}

// The Accept-Encoding headers browsers send (Tor Browser and Firefox, Chromium) are answered from
// a table made at start-up: a cache hit does not parse one (its parse showed in the profile of a
// reader's kept page), and nothing of any request is kept. Any other header is parsed.
const SENT_BY_BROWSERS = ['gzip, deflate', 'gzip, deflate, br', 'gzip, deflate, br, zstd', 'gzip, deflate, zstd']
const GZIP = ['gzip', 'x-gzip']
const answered = (test: (header: string) => boolean) => new Map(SENT_BY_BROWSERS.map((h) => [h, test(h)]))
const gzipTaken = answered((h) => takes(h, GZIP))
const deflateTaken = answered((h) => takes(h, ['deflate'], false))

/** Whether an Accept-Encoding header takes gzip (a `q=0` refuses it; `*` takes it). */
export const acceptsGzip = (header: string | undefined) => (header === undefined ? undefined : gzipTaken.get(header)) ?? takes(header, GZIP)

/** Bytes gzipped once, as hard as zlib can (they are sent many times). */
export const gzipOnce = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(gzipSync(bytes, { level: 9 }))
const gzipInPool = promisify(gzip)
/**
 * The same bytes as gzipOnce, made in libuv's threads: the event loop answers other requests
 * meanwhile (a page missed by the cache: zlib takes 1.1 ms of the 200-reply thread page).
 */
export const gzipOnceOffLoop = async (bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => new Uint8Array(await gzipInPool(bytes, { level: 9 }))
/**
 * A page built on a miss while the node is busy (http/render.ts): gzipped at zlib's fastest level,
 * in libuv's threads; it is gzipped again at 9 (gzipOnceOffLoop) the first time it is sent again,
 * and the readers from then on get those bytes. At 1,000,000 posts, every request a miss, level 9
 * was about a fifth of a miss's CPU; level 1 makes a 50-post page about 9 % larger, the 200-reply
 * page a third (BENCHMARKS.md). In libuv's threads rather than on the loop: on the loop it was as
 * fast for PostgreSQL and slower at p99 for SQLite.
 */
export const gzipQuick = async (bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => new Uint8Array(await gzipInPool(bytes, { level: 1 }))

/**
 * Whether the node is busy enough for gzipQuick: its event loop's utilisation over the last whole
 * second (measured once a second, for the process) above `above` (0: always; 1: never).
 *
 * Not whether other requests are in flight now: the level a page came at is plain to its reader
 * (gunzip it, gzip it at 1 and at 9), so a choice made on other requests in flight would tell an
 * outsider, exactly and through Tor's jitter, whether someone else was reading at that moment
 * (sending the other requests that make up a threshold themselves). A second of the loop's work
 * moves by far more than one reader's page (about a millisecond) from one second to the next, and
 * says no more than how slow the node answers already says: that it is under load.
 */
export function busyForGzip(above: number): boolean {
  if (above <= 0) return true
  if (!sampler) {
    last = performance.eventLoopUtilization() // the first second measured starts here, not at start-up
    sampler = setInterval(sample, 1000).unref()
  }
  return utilization > above
}
let sampler: NodeJS.Timeout | undefined
let utilization = 0
let last: ReturnType<typeof performance.eventLoopUtilization>
function sample(): void {
  const now = performance.eventLoopUtilization()
  utilization = performance.eventLoopUtilization(now, last).utilization
  last = now
}
/** Bytes built for one response (a feed made per viewer), gzipped at zlib's usual level: sent once. */
export const gzipNow = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(gzipSync(bytes))

/** Whether an Accept-Encoding header takes deflate (zlib's format, RFC 1950). */
export const acceptsDeflate = (header: string | undefined) => (header === undefined ? undefined : deflateTaken.get(header)) ?? takes(header, ['deflate'], false)

// A page for a reader with a session: their head and foot (identity, form token, the form's kept
// text) around a cached middle that is the same for everyone (a thread's posts). Compressing the
// whole would put the token beside text an attacker wrote (BREACH). So the body is one zlib stream
// whose middle is the cached part deflated once (a sync flush ends it on a byte, with nothing
// before it to refer back to), and whose head and foot are stored blocks: not compressed at all,
// so their length says nothing of what is in them. The checksum (Adler-32) of the whole comes from
// the middle's, kept with it, and the head's and foot's: no per-request work beyond those few KB.

type Deflated = { raw: Uint8Array; adler: number; length: number }
const deflatedParts = new WeakMap<object, Deflated>()

/** A cached part's bytes deflated once (kept as long as the part is), for deflateAround. */
function deflatedOnce(part: { bytes: Uint8Array }): Deflated {
  let d = deflatedParts.get(part)
  if (!d) {
    d = { raw: deflateRawSync(part.bytes, { level: 9, finishFlush: constants.Z_SYNC_FLUSH }), adler: adler32(part.bytes), length: part.bytes.length }
    deflatedParts.set(part, d)
  }
  return d
}

const BASE = 65521
export function adler32(bytes: Uint8Array, start = 1): number {
  let a = start & 0xffff
  let b = start >>> 16
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 3800, bytes.length) // zlib's NMAX is 5552: no overflow before the modulo
    for (; i < end; i++) {
      a += bytes[i]!
      b += a
    }
    a %= BASE
    b %= BASE
  }
  return ((b << 16) | a) >>> 0
}

/** zlib's adler32_combine: the checksum of A then B from A's, B's and B's length. */
export function adler32Combine(adler1: number, adler2: number, len2: number): number {
  const rem = len2 % BASE
  let sum1 = adler1 & 0xffff
  let sum2 = (rem * sum1) % BASE
  sum1 += (adler2 & 0xffff) + BASE - 1
  sum2 += ((adler1 >>> 16) & 0xffff) + ((adler2 >>> 16) & 0xffff) + BASE - rem
  if (sum1 >= BASE) sum1 -= BASE
  if (sum1 >= BASE) sum1 -= BASE
  if (sum2 >= BASE * 2) sum2 -= BASE * 2
  if (sum2 >= BASE) sum2 -= BASE
  return ((sum2 << 16) | sum1) >>> 0
}

/** Deflate's stored blocks (at most 65,535 bytes each), the last one final if asked. */
function stored(bytes: Uint8Array, final: boolean): Buffer[] {
  const out: Buffer[] = []
  let i = 0
  do {
    const n = Math.min(65535, bytes.length - i)
    const last = final && i + n === bytes.length
    const h = Buffer.alloc(5)
    h[0] = last ? 1 : 0
    h.writeUInt16LE(n, 1)
    h.writeUInt16LE(~n & 0xffff, 3)
    out.push(h, Buffer.from(bytes.buffer, bytes.byteOffset + i, n))
    i += n
  } while (i < bytes.length)
  return out
}

/** head + middle + foot as one zlib stream: the middle deflated once, head and foot stored. */
export function deflateAround(head: Uint8Array, middle: { bytes: Uint8Array }, foot: Uint8Array): Uint8Array<ArrayBuffer> {
  const m = deflatedOnce(middle)
  const adler = adler32(foot, adler32Combine(adler32(head), m.adler, m.length))
  const tail = Buffer.alloc(4)
  tail.writeUInt32BE(adler)
  const parts = [Buffer.from([0x78, 0xda]), ...stored(head, false), m.raw, ...stored(foot, true), tail]
  return new Uint8Array(Buffer.concat(parts))
}
