import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { DomainError } from '../../domain/errors.ts'
import { t } from '../../i18n/index.ts'
import type { Answer, SubmissionStore } from '../../ephemeral/submissions.ts'
import type { AppEnv } from '../env.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The key of one submission: where it goes, whether htmx sent it, and every field, the form token
 * among them. Each rendered form carries its own token (src/ephemeral/csrf.ts), so a double click
 * sends one key twice, while text edited and sent again from the same page is a new submission.
 * Hashed: the store never holds what was written.
 */
export function submissionKey(method: string, path: string, htmx: boolean, form: Record<string, string>): string {
  const fields = Object.entries(form).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256').update(JSON.stringify([method, path, htmx, fields])).digest('base64url')
}

/** What is worth giving again: a redirect (Post/Redirect/Get), or the fragment an htmx request got. */
async function answerOf(c: Context<AppEnv>, htmx: boolean): Promise<Answer | null> {
  const res = c.res
  const location = res.headers.get('Location')
  if (res.status >= 300 && res.status < 400 && location) return { status: res.status, headers: { Location: location }, body: '' }
  if (res.status >= 200 && res.status < 300 && htmx) {
    const headers: Record<string, string> = {}
    for (const [name, value] of res.headers) if (name === 'content-type' || name.startsWith('hx-')) headers[name] = value
    return { status: res.status, headers, body: await res.clone().text() }
  }
  return null
}

/**
 * A form sent twice (a double click on a slow Tor circuit) is carried out once. The first request
 * claims the submission and runs; one that arrives meanwhile waits (a bounded time) for its answer;
 * later ones get the answer at once, for ten minutes: the same 303, or for htmx the same fragment.
 * A refusal (4xx), a failure, or a page that is not a redirect keeps nothing, so a corrected (or
 * the same, once its cause is gone) submission runs afresh. Runs after the form-token check.
 */
export function idempotent(store: SubmissionStore, opts: { waitMs?: number; pollMs?: number } = {}): MiddlewareHandler<AppEnv> {
  const waitMs = opts.waitMs ?? 20_000
  const pollMs = opts.pollMs ?? 50
  return async (c, next) => {
    const htmx = c.req.header('HX-Request') === 'true'
    const key = submissionKey(c.req.method, c.req.path, htmx, c.get('form'))
    const deadline = Date.now() + waitMs
    for (;;) {
      const claim = await store.claim(key)
      if (claim.state === 'done') return new Response(claim.answer.body || null, { status: claim.answer.status, headers: claim.answer.headers })
      if (claim.state === 'new') break
      if (Date.now() >= deadline) {
        throw new DomainError(409, t('app.sent_twice'))
      }
      await sleep(pollMs)
    }
    let answer: Answer | null = null
    try {
      await next()
      answer = await answerOf(c, htmx)
    } finally {
      await (answer ? store.finish(key, answer) : store.release(key))
    }
  }
}
