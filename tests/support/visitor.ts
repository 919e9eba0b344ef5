import { FormMemory } from './forms.ts'

/** A minimal browser over real HTTP: cookies, and the forms it saw (as the test Client keeps them). */
export class Visitor {
  cookies = new Map<string, string>()
  readonly forms = new FormMemory()
  constructor(readonly base: string) {}
  get csrf(): string {
    return this.forms.last
  }
  /** The Cookie header it sends (the benchmarks hand it to their load generator). */
  get cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  async fetch(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers)
    if (this.cookies.size) headers.set('cookie', this.cookie)
    const res = await fetch(this.base + path, { ...init, headers, redirect: 'manual' })
    this.keep(res.headers.getSetCookie())
    const text = await res.text()
    this.forms.saw(text)
    return { res, text }
  }
  /** Keep what Set-Cookie headers say (a new form-token cookie: the forms seen before are stale). */
  keep(setCookies: string[]) {
    for (const c of setCookies) {
      const [pair] = c.split(';')
      const [k, v] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)]
      if (k.endsWith('cb_csrf') && this.cookies.get(k) !== v) this.forms.forget()
      if (v) this.cookies.set(k, v)
      else this.cookies.delete(k)
    }
  }
  get(path: string) {
    return this.fetch(path)
  }
  async post(path: string, fields: Record<string, string>) {
    let seen = this.forms.take(path)
    if (!seen) {
      await this.fetch('/identity')
      seen = this.forms.take(path)!
    }
    return this.fetch(path, { method: 'POST', body: new URLSearchParams({ ...seen, ...fields }), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  }
  async takeIdentity() {
    await this.fetch('/identity')
    await this.post('/identity/disposable', {})
    return /<code class="fpr">([0-9a-f]+)</.exec((await this.fetch('/identity')).text)![1]!
  }
}
