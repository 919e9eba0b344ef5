import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { migrateToLatest, openDatabase } from '../../src/db/connect.ts'
import { CsrfTokens } from '../../src/ephemeral/csrf.ts'
import { MemoryChallengeStore } from '../../src/ephemeral/challenges.ts'
import { MemoryRateLimiter } from '../../src/ephemeral/rate-limits.ts'
import { MemorySessionStore } from '../../src/ephemeral/sessions.ts'
import type { Deps } from '../../src/services/deps.ts'
import { ensureDefaultCell } from '../../src/services/cells.ts'
import { PageCache } from '../../src/services/page-cache.ts'

/** A real, migrated SQLite file in its own temporary folder, and the app over it. */
export async function makeBoard(env: Record<string, string> = {}, now: () => number = Date.now) {
  const dir = mkdtempSync(join(tmpdir(), 'cellboard-test-'))
  const config: Config = loadConfig({ DATA_DIR: dir, ...env })
  const file = join(dir, 'cellboard.db')
  const { db, sqlite } = openDatabase(file)
  await migrateToLatest(db)
  const deps: Deps = { db, config, sessions: new MemorySessionStore(config.sessionIdleMs, now), challenges: new MemoryChallengeStore(now), rateLimits: new MemoryRateLimiter(now), csrf: new CsrfTokens(), cache: new PageCache(), now }
  await ensureDefaultCell(deps)
  const app = createApp(deps)
  return {
    app,
    deps,
    dir,
    file,
    sqlite,
    client: () => new Client(app),
    async close() {
      deps.sessions.close()
      deps.challenges.close()
      deps.rateLimits.close()
      await db.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

type App = ReturnType<typeof createApp>

/**
 * A browser-like client over app.request(): keeps cookies, remembers the last form token it saw,
 * and sends forms urlencoded as a browser with JavaScript off would.
 */
export class Client {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(private readonly app: App) {}

  async request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await this.app.request(path, { ...init, headers })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=thu, 01 jan 1970/i.test(a))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ res: Response; text: string }> {
    const res = await this.request(path, { headers })
    const text = await res.text()
    const m = /name="_csrf" value="([^"]+)"/.exec(text)
    if (m) this.csrf = m[1]!
    return { res, text }
  }

  /** POST a form. Unless told otherwise, fetch a page first so there is a form token. */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ res: Response; text: string }> {
    if (!this.csrf) await this.get('/identity')
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields }).toString()
    const res = await this.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
    const text = await res.text()
    const m = /name="_csrf" value="([^"]+)"/.exec(text)
    if (m) this.csrf = m[1]!
    return { res, text }
  }

  /** Take a disposable identity; returns its fingerprint as the identity page shows it. */
  async takeIdentity(): Promise<string> {
    const { res } = await this.post('/identity/disposable', {})
    if (res.status !== 303) throw new Error(`take identity: ${res.status}`)
    const { text } = await this.get('/identity')
    return /<code class="fpr">([0-9a-f]+)<\/code>/.exec(text)![1]!
  }
}
