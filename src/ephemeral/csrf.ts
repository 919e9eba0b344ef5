import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

// Form tokens that work with JavaScript off and without the Origin header (which privacy
// settings may strip): each browser holds a random HttpOnly, SameSite=Strict cookie, and every
// form carries HMAC(secret, cookie). The secret lives only in memory; a restart means a
// form loaded before it is refused with its text kept, and the person submits again.
export class CsrfTokens {
  readonly #secret: Buffer
  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret
  }
  newCookie(): string {
    return randomBytes(18).toString('base64url')
  }
  tokenFor(cookie: string): string {
    return createHmac('sha256', this.#secret).update(cookie).digest('base64url')
  }
  check(cookie: string | undefined, token: string | undefined): boolean {
    if (!cookie || !token) return false
    const want = Buffer.from(this.tokenFor(cookie))
    const got = Buffer.from(token)
    return want.length === got.length && timingSafeEqual(want, got)
  }
}
