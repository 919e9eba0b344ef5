import type { Context } from 'hono'
import { pseudonymOf } from '../domain/pseudonym.ts'
import type { Deps } from '../services/deps.ts'
import type { Html } from '../../views/html.ts'
import { layoutParts, page } from '../../views/layout.ts'
import type { Viewer } from '../../views/viewer.ts'
import type { AppEnv } from './env.ts'

export type C = Context<AppEnv>

export function viewerOf(c: C, deps: Deps): Viewer {
  const s = c.get('session')
  return {
    identity: s ? { pseudonym: pseudonymOf(s.fingerprint), fingerprint: s.fingerprint, kind: s.kind } : null,
    csrf: deps.csrf.tokenFor(c.get('csrfCookie')),
    openQuestions: c.get('openQuestions') ?? 0,
  }
}

export const isHtmx = (c: C) => c.req.header('HX-Request') === 'true'

type Status = 200 | 400 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500

export function sendPage(c: C, deps: Deps, status: Status, title: string, main: Html) {
  return c.html(page({ title, viewer: viewerOf(c, deps) }, main), status)
}

const encoder = new TextEncoder()

/** A page whose middle is cached bytes: only the viewer's head and foot are built per request. */
export function sendAround(c: C, deps: Deps, status: Status, title: string, before: Html | string, cached: Uint8Array, after: Html | string) {
  const { head, foot } = layoutParts({ title, viewer: viewerOf(c, deps) })
  const a = encoder.encode(head + before.toString())
  const b = encoder.encode(after.toString() + foot)
  const out = new Uint8Array(a.length + cached.length + b.length)
  out.set(a, 0)
  out.set(cached, a.length)
  out.set(b, a.length + cached.length)
  return c.body(out, status, { 'Content-Type': 'text/html; charset=UTF-8' })
}

export const encode = (s: Html | string) => encoder.encode(s.toString())

/** A positive integer from a path or query; anything else is "no such thing". */
export function parseId(v: string | undefined): number | null {
  return v !== undefined && /^[1-9][0-9]{0,14}$/.test(v) ? Number(v) : null
}

/** A return path inside this site, as produced by our own links; anything else is dropped. */
export function localPath(v: string | undefined): string | null {
  return v && /^\/[a-z0-9][a-z0-9/-]{0,200}$/.test(v) ? v : null
}
