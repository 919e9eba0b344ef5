import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { DomainError } from '../../domain/errors.ts'
import { open, seal } from '../../seal.ts'
import { t } from '../../i18n/index.ts'
import type { Answer, Sealed, SubmissionStore } from '../../ephemeral/submissions.ts'
import type { AppEnv } from '../env.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The key of one submission: where it goes, whether htmx sent it, and every field, the form token
 * among them. Each rendered form carries its own token (src/ephemeral/csrf.ts), so a double click
 * sends one key twice, while text edited and sent again from the same page is a new submission.
 * Hashed: the store never holds what was written.
 */
export function submissionKey(method: string, path: string, htmx: boolean, form: Record<string, string>): string {
  return submissionKeys(method, path, htmx, form).key
}

/**
 * The store's key, and the key its answer is sealed with: two hashes of the same fields under
 * different names, so the first (which the store keeps) does not give the second. Only the same
 * form sent again (its text and its one-time token among the fields) makes the seal's key again.
 */
function submissionKeys(method: string, path: string, htmx: boolean, form: Record<string, string>, writer: string | null = null): { key: string; seal: Buffer } {
  const fields = Object.entries(form).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const text = JSON.stringify(writer === null ? [method, path, htmx, fields] : [method, path, htmx, fields.filter(([name]) => !PER_RENDER.test(name)), writer])
  return { key: createHash('sha256').update(text).digest('base64url'), seal: createHash('sha256').update('cellboard answer seal\0').update(text).digest() }
}

/** Fields each rendering of a form fills anew: its one-time token and the check a cost asks for. */
const PER_RENDER = /^(_csrf$|cost_)/

// An answer kept for a repeat is sealed (AES-256-GCM, a fresh nonce each): an htmx fragment holds
// the post it published, and the store keeps it ten minutes, in memory or in Redis. Removed and
// purged in that time, the post was still there in the clear (an outsider's report); sealed, it can
// be read only by the browser that sent the form, which has the text anyway.
// The plaintext is padded to a whole number of KiB (JSON ignores the trailing spaces): the sealed
// length would otherwise tell a removed post's length for those minutes.
const PAD = 1024
function sealAnswer(answer: Answer, key: Buffer): Sealed {
  const text = JSON.stringify(answer)
  const bytes = Buffer.byteLength(text)
  return seal(key, Buffer.from(text + ' '.repeat(Math.ceil((bytes + 1) / PAD) * PAD - bytes))).toString('base64url')
}
/** The answer, or null if these bytes were not sealed under this key (a tampered or foreign value). */
function openAnswer(sealed: Sealed, key: Buffer): Answer | null {
  const plain = open(key, Buffer.from(sealed, 'base64url'))
  return plain && (JSON.parse(plain.toString('utf8')) as Answer)
}

/**
 * What is worth giving again: a redirect (Post/Redirect/Get), the fragment an htmx request got, or
 * (`pages`) a page that answers a form with no redirect (a letter's, which carries its reference).
 * Its bytes as sent (a page may be deflated around its secrets), in base64.
 */
async function answerOf(c: Context<AppEnv>, htmx: boolean, pages: boolean): Promise<Answer | null> {
  const res = c.res
  const location = res.headers.get('Location')
  if (res.status >= 300 && res.status < 400 && location) return { status: res.status, headers: { Location: location }, body: '' }
  if (res.status >= 200 && res.status < 300 && (htmx || pages)) {
    const headers: Record<string, string> = {}
    for (const [name, value] of res.headers) if (name === 'content-type' || name === 'content-encoding' || name.startsWith('hx-')) headers[name] = value
    return { status: res.status, headers, body: Buffer.from(await res.clone().arrayBuffer()).toString('base64') }
  }
  return null
}

/**
 * A form sent twice (a double click on a slow Tor circuit) is carried out once. The first request
 * claims the submission and runs; one that arrives meanwhile waits (a bounded time) for its answer;
 * later ones get the answer at once, for ten minutes: the same 303, or for htmx the same fragment.
 * A refusal (4xx), a failure, or a page that is not a redirect (unless `pages`) keeps nothing, so a corrected (or
 * the same, once its cause is gone) submission runs afresh. Runs after the form-token check.
 */
export function idempotent(store: SubmissionStore, opts: { waitMs?: number; pollMs?: number; pages?: boolean; sameTextOnce?: boolean } = {}): MiddlewareHandler<AppEnv> {
  const waitMs = opts.waitMs ?? 20_000
  const pollMs = opts.pollMs ?? 50
  return async (c, next) => {
    const htmx = c.req.header('HX-Request') === 'true'
    // `sameTextOnce` (a post): without JavaScript, going back from the thread and sending again
    // sends the text the browser kept in the field with the new token of the page fetched again,
    // and it was posted twice. There, the same text from the same session to the same place
    // within the ten minutes is the same submission, whichever rendering of the form sent it: the
    // token and a cost's fields are left out of the key, the session's secret id goes in (so no
    // one else's submission can make it, and the sealed answer opens only for that session).
    // Not with htmx, which sends from the page without leaving it: there a post sent again is
    // meant, and the answer given again would be a post shown twice.
    const session = c.get('session')
    const writer = opts.sameTextOnce && !htmx && session ? session.id : null
    const { key, seal: sealKey } = submissionKeys(c.req.method, c.req.path, htmx, c.get('form'), writer)
    const deadline = Date.now() + waitMs
    for (;;) {
      const claim = await store.claim(key)
      if (claim.state === 'done') {
        const answer = openAnswer(claim.sealed, sealKey)
        // Not to be opened (it cannot happen but by tampering): the form is not carried out again,
        // which could publish it twice; the writer is told it was sent already.
        if (!answer) throw new DomainError(409, t('app.sent_twice'))
        return new Response(answer.body ? Buffer.from(answer.body, 'base64') : null, { status: answer.status, headers: answer.headers })
      }
      if (claim.state === 'new') break
      if (Date.now() >= deadline) {
        throw new DomainError(409, t('app.sent_twice'))
      }
      await sleep(pollMs)
    }
    let answer: Answer | null = null
    try {
      await next()
      answer = await answerOf(c, htmx, opts.pages === true)
    } finally {
      await (answer ? store.finish(key, sealAnswer(answer, sealKey)) : store.release(key))
    }
  }
}
