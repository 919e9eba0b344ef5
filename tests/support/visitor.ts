/** A minimal browser over real HTTP: cookies and the form token. */
export class Visitor {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(private readonly base: string) {}
  async fetch(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers)
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await fetch(this.base + path, { ...init, headers, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [k, v] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)]
      if (v) this.cookies.set(k, v)
      else this.cookies.delete(k)
    }
    const text = await res.text()
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? this.csrf
    return { res, text }
  }
  post(path: string, fields: Record<string, string>) {
    return this.fetch(path, { method: 'POST', body: new URLSearchParams({ _csrf: this.csrf, ...fields }), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  }
  async takeIdentity() {
    await this.fetch('/identity')
    await this.post('/identity/disposable', {})
    return /<code class="fpr">([0-9a-f]+)</.exec((await this.fetch('/identity')).text)![1]!
  }
}
