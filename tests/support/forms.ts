// Reading a page's forms as a browser sees them: which fields it would send with each one.

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

export type PageForm = { action: string; method: string; hidden: Record<string, string> }

/** Every <form> on a page, with its action, method and hidden inputs. */
export function formsOf(html: string): PageForm[] {
  const out: PageForm[] = []
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1]!
    // Where it goes: a fragment (#reply) stays in the browser, it is never sent.
    const action = unescape(/\saction="([^"]*)"/.exec(attrs)?.[1] ?? '').replace(/#.*$/, '')
    const method = (/\smethod="([^"]*)"/.exec(attrs)?.[1] ?? 'get').toLowerCase()
    const hidden: Record<string, string> = {}
    for (const i of m[2]!.matchAll(/<input\b[^>]*>/g)) {
      if (!/\stype="hidden"/.test(i[0])) continue
      const name = /\sname="([^"]*)"/.exec(i[0])?.[1]
      if (name !== undefined) hidden[unescape(name)] = unescape(/\svalue="([^"]*)"/.exec(i[0])?.[1] ?? '')
    }
    out.push({ action, method, hidden })
  }
  return out
}

/** The hidden fields of the (first) form on the page that posts to `action`. */
export function hiddenFields(html: string, action: string): Record<string, string> {
  const f = formsOf(html).find((x) => x.action === action && x.method === 'post')
  if (!f) throw new Error(`no form posting to ${action} on this page`)
  return f.hidden
}

/** Every form token on a page, in order: each form (and the browser-key panel) carries its own. */
export function tokensOf(html: string): string[] {
  return [...html.matchAll(/name="_csrf" value="([^"]+)"|data-csrf="([^"]+)"/g)].map((m) => m[1] ?? m[2]!)
}

/** The Set-Cookie lines of a response, by cookie name: value and attributes. */
export function setCookies(res: Response): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>()
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';')
    const eq = pair!.indexOf('=')
    out.set(pair!.slice(0, eq).trim(), { value: pair!.slice(eq + 1).trim(), attrs: attrs.map((a) => a.trim()).join('; ') })
  }
  return out
}

/**
 * What a browser's open pages would send: each form's token and key field, as last seen for each
 * address it posts to, and the other tokens seen. A token serves one submission (each rendered
 * form is a submission of its own); a new form-token cookie makes every page seen before stale.
 */
export class FormMemory {
  readonly #byAction = new Map<string, Record<string, string>>()
  readonly #unused = new Set<string>()
  /** The last token seen on any page (for tests that build a body by hand). */
  last = ''

  saw(html: string): void {
    for (const f of formsOf(html)) {
      if (f.method !== 'post' || !f.hidden._csrf) continue
      const fields: Record<string, string> = { _csrf: f.hidden._csrf }
      if (f.hidden._key) fields._key = f.hidden._key
      this.#byAction.set(f.action, fields)
    }
    const tokens = tokensOf(html)
    for (const t of tokens) this.#unused.add(t)
    if (tokens.length > 0) this.last = tokens[0]!
  }

  /** The form-token cookie changed: the pages seen before are stale. */
  forget(): void {
    this.#byAction.clear()
    this.#unused.clear()
  }

  /** The fields to send with a form for `action`: its own if seen, else any unused token; null if none. */
  take(action: string): Record<string, string> | null {
    const own = this.#byAction.get(action)
    this.#byAction.delete(action)
    if (own && this.#unused.has(own._csrf!)) {
      this.#unused.delete(own._csrf!)
      return own
    }
    const spare = this.#unused.values().next()
    if (spare.done) return null
    this.#unused.delete(spare.value)
    return { _csrf: spare.value }
  }
}
