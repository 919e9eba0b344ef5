import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

// Form tokens that work with JavaScript off and without the Origin header (which privacy
// settings may strip). Each browser holds an HttpOnly, SameSite=Strict cookie that the server
// made: a random id and a MAC of it under the server secret, so a value the browser chose (or
// someone planted in it) is ignored and replaced. The cookie is replaced whenever the browser
// burns or takes an identity, so nothing it keeps links one key to the next.
//
// A form carries the token for its browser's cookie under a fresh random mask (mask, then token
// XOR mask): never the same string twice, so a compressed page cannot be made to leak it
// (BREACH), and each rendered form is a submission of its own (src/http/middleware/idempotency.ts).
// The secret lives only in memory, or in a Redis shared by nodes; a restart (without Redis)
// means a form loaded before it is refused, and the person opens it again.
const ID_BYTES = 18
const MAC_BYTES = 16
const TOKEN_BYTES = 32
const COOKIE = /^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}$/
const MASKED = /^[A-Za-z0-9_-]{86}$/

/** Compares two strings in time that does not depend on where they differ. */
function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]!))

export class CsrfTokens {
  readonly #cookieKey: Buffer
  readonly #tokenKey: Buffer
  constructor(secret: Buffer = randomBytes(32)) {
    // One secret, two keys: a cookie's MAC is never also a token.
    this.#cookieKey = createHmac('sha256', secret).update('cellboard form-token cookie').digest()
    this.#tokenKey = createHmac('sha256', secret).update('cellboard form token').digest()
  }

  newCookie(): string {
    const id = randomBytes(ID_BYTES).toString('base64url')
    return `${id}.${this.#mac(id)}`
  }

  /** The cookie's value if this server made it (under this secret); null for anything else. */
  readCookie(value: string | undefined): string | null {
    if (!value || !COOKIE.test(value)) return null
    const dot = value.indexOf('.')
    return sameString(value.slice(dot + 1), this.#mac(value.slice(0, dot))) ? value : null
  }

  /** A token for this cookie, under a fresh mask: a different string on every call. */
  tokenFor(cookie: string): string {
    const mask = randomBytes(TOKEN_BYTES)
    return Buffer.concat([mask, xor(this.#token(cookie), mask)]).toString('base64url')
  }

  check(cookie: string | null | undefined, masked: string | undefined): boolean {
    if (!cookie || !masked || !MASKED.test(masked)) return false
    const raw = Buffer.from(masked, 'base64url')
    // Only the one spelling we make: base64url's last letter has bits that decoding ignores.
    if (raw.length !== 2 * TOKEN_BYTES || raw.toString('base64url') !== masked) return false
    return timingSafeEqual(xor(raw.subarray(TOKEN_BYTES), raw.subarray(0, TOKEN_BYTES)), this.#token(cookie))
  }

  #mac(id: string): string {
    return createHmac('sha256', this.#cookieKey).update(id).digest().subarray(0, MAC_BYTES).toString('base64url')
  }

  #token(cookie: string): Buffer {
    return createHmac('sha256', this.#tokenKey).update(cookie).digest()
  }
}
