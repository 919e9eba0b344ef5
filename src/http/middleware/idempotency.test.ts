import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../../domain/errors.ts'
import { MemorySubmissionStore, SUBMISSION_TTL_MS } from '../../ephemeral/submissions.ts'
import type { AppEnv } from '../env.ts'
import { idempotent, submissionKey } from './idempotency.ts'

/** A form handler that counts its runs, can be held mid-run, and answers as it is told. */
function app(opts: { waitMs?: number; pages?: boolean } = {}) {
  const store = new MemorySubmissionStore()
  let runs = 0
  let gate: Promise<void> = Promise.resolve()
  const a = new Hono<AppEnv>()
  a.use(async (c, next) => {
    c.set('form', Object.fromEntries(new URLSearchParams(await c.req.text())))
    await next()
  })
  a.post('/f', idempotent(store, { waitMs: opts.waitMs ?? 2_000, pollMs: 5, pages: opts.pages }), async (c) => {
    const n = ++runs
    await gate
    const form = c.get('form')
    if (form.refuse) throw new DomainError(422, 'refused')
    if (form.binary) return c.body(new Uint8Array([0x78, 0xda, 0xff, 0x80, 0x00, n]), 200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Encoding': 'deflate' })
    if (form.page) return c.html(`<p>page ${n}</p>`)
    if (c.req.header('HX-Request') === 'true') return c.html(`<article>fragment ${n}</article>`, 200, { 'HX-Trigger': 'posted' })
    return c.redirect(`/done/${n}`, 303)
  })
  a.onError((e, c) => c.text(e.message, e instanceof DomainError ? (e.status as 409) : 500))
  const send = (fields: Record<string, string>, headers: Record<string, string> = {}) => a.request('/f', { method: 'POST', body: new URLSearchParams(fields).toString(), headers })
  return {
    store,
    send,
    get runs() {
      return runs
    },
    hold() {
      let open!: () => void
      gate = new Promise((r) => (open = r))
      return () => open()
    },
  }
}

describe('idempotent', () => {
  it('a second request while the first runs waits for it, and both get the first one’s 303; it ran once', async () => {
    const t = app()
    const release = t.hold()
    const first = t.send({ _csrf: 'token-1', body: 'hello' })
    await new Promise((r) => setTimeout(r, 20))
    const second = t.send({ _csrf: 'token-1', body: 'hello' })
    await new Promise((r) => setTimeout(r, 20))
    expect(t.runs).toBe(1)
    release()
    const [a, b] = await Promise.all([first, second])
    expect([a.status, b.status]).toEqual([303, 303])
    expect(b.headers.get('location')).toBe('/done/1')
    expect(a.headers.get('location')).toBe('/done/1')
    // And later still, the same.
    expect((await t.send({ _csrf: 'token-1', body: 'hello' })).headers.get('location')).toBe('/done/1')
    expect(t.runs).toBe(1)
  })

  it('an htmx fragment is given again as it was, headers included', async () => {
    const t = app()
    const a = await t.send({ _csrf: 't', body: 'x' }, { 'HX-Request': 'true' })
    const b = await t.send({ _csrf: 't', body: 'x' }, { 'HX-Request': 'true' })
    expect(await b.text()).toBe(await a.text())
    expect(b.headers.get('hx-trigger')).toBe('posted')
    expect(b.headers.get('content-type')).toMatch(/^text\/html/)
    expect(t.runs).toBe(1)
    // The same fields without htmx are another submission: a fragment is never given to a page request.
    expect((await t.send({ _csrf: 't', body: 'x' })).status).toBe(303)
    expect(t.runs).toBe(2)
  })

  it('another token, or any field changed, is another submission', async () => {
    const t = app()
    await t.send({ _csrf: 'a', body: 'x' })
    await t.send({ _csrf: 'b', body: 'x' })
    await t.send({ _csrf: 'a', body: 'y' })
    await t.send({ _csrf: 'a', body: 'x', extra: '' })
    expect(t.runs).toBe(4)
    expect(submissionKey('POST', '/f', false, { a: '1', b: '2' })).toBe(submissionKey('POST', '/f', false, { b: '2', a: '1' }))
  })

  it('a refusal (4xx) keeps nothing: the same submission runs again, also one that waited for it', async () => {
    const t = app()
    const release = t.hold()
    const first = t.send({ _csrf: 'a', refuse: '1' })
    await new Promise((r) => setTimeout(r, 20))
    const second = t.send({ _csrf: 'a', refuse: '1' })
    release()
    expect((await first).status).toBe(422)
    expect((await second).status).toBe(422)
    expect(t.runs).toBe(2)
    expect(t.store.size).toBe(0)
  })

  it('a page that is not a redirect is not kept (the disposable voter’s review): it runs again', async () => {
    const t = app()
    expect(await (await t.send({ _csrf: 'a', page: '1' })).text()).toBe('<p>page 1</p>')
    expect(await (await t.send({ _csrf: 'a', page: '1' })).text()).toBe('<p>page 2</p>')
  })

  it('with `pages`, a page is kept and given again byte for byte, binary and encoded as it was', async () => {
    const t = app({ pages: true })
    const a = await t.send({ _csrf: 'a', binary: '1' })
    const b = await t.send({ _csrf: 'a', binary: '1' })
    expect(b.headers.get('content-encoding')).toBe('deflate')
    expect(Buffer.from(await b.arrayBuffer())).toEqual(Buffer.from(await a.arrayBuffer()))
    expect(Buffer.from(await (await t.send({ _csrf: 'a', binary: '1' })).arrayBuffer())).toEqual(Buffer.from([0x78, 0xda, 0xff, 0x80, 0x00, 1]))
    expect(t.runs).toBe(1)
  })

  it('what is kept is sealed and padded (its length says nothing of the post’s); a value not sealed for this form is a 409, never a second run', async () => {
    const t = app()
    const kept: string[] = []
    const finish = t.store.finish.bind(t.store)
    t.store.finish = (key, value) => (kept.push(value), finish(key, value))
    await t.send({ _csrf: 'a', body: 'short' }, { 'HX-Request': 'true' })
    await t.send({ _csrf: 'b', body: 'a longer post '.repeat(20) }, { 'HX-Request': 'true' })
    expect(kept).toHaveLength(2)
    expect(kept[0]!.length).toBe(kept[1]!.length)
    expect(kept.join()).not.toContain('fragment')
    await t.store.finish(submissionKey('POST', '/f', true, { _csrf: 'a', body: 'short' }), kept[1]!)
    const tampered = await t.send({ _csrf: 'a', body: 'short' }, { 'HX-Request': 'true' })
    expect(tampered.status).toBe(409)
    expect(t.runs).toBe(2)
  })

  it('the wait is bounded: past it the second is refused (409) and does not run', async () => {
    const t = app({ waitMs: 30 })
    const release = t.hold()
    const first = t.send({ _csrf: 'a', body: 'slow' })
    await new Promise((r) => setTimeout(r, 10))
    const second = await t.send({ _csrf: 'a', body: 'slow' })
    expect(second.status).toBe(409)
    expect(await second.text()).toContain('the first is still being handled')
    release()
    expect((await first).status).toBe(303)
    expect(t.runs).toBe(1)
  })
})

describe('MemorySubmissionStore', () => {
  const answer = (body = '') => `sealed:${body}`

  it('keeps an answer ten minutes', async () => {
    let now = 0
    const s = new MemorySubmissionStore(() => now)
    expect(await s.claim('k')).toEqual({ state: 'new' })
    expect(await s.claim('k')).toEqual({ state: 'running' })
    await s.finish('k', answer())
    now += SUBMISSION_TTL_MS - 1
    expect((await s.claim('k')).state).toBe('done')
    now += 1
    expect(await s.claim('k')).toEqual({ state: 'new' })
    s.close()
  })

  it('is bounded in entries and in bytes: the oldest go first', async () => {
    const s = new MemorySubmissionStore(Date.now, 3, 10_000)
    for (const k of ['a', 'b', 'c', 'd']) await s.claim(k), await s.finish(k, answer())
    expect(s.size).toBe(3)
    expect(await s.claim('a')).toEqual({ state: 'new' })
    const big = new MemorySubmissionStore(Date.now, 100, 10_000)
    for (const k of ['a', 'b', 'c']) await big.claim(k), await big.finish(k, answer('x'.repeat(2_000)))
    expect(big.size).toBe(2)
    expect((await big.claim('c')).state).toBe('done')
    s.close()
    big.close()
  })
})
