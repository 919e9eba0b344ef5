import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../../domain/errors.ts'
import type { AppEnv } from '../env.ts'
import { formBody, postBodyLimit } from './form-body.ts'

// In process, with and without a Content-Length (a request made in process has none unless it is
// set). Over real HTTP, where Node's parser refuses an odd one: tests/server/form-body-limit.test.ts.
const app = new Hono<AppEnv>()
app.use(postBodyLimit(1024))
app.use(formBody)
app.post('/f', (c) => c.text(`fields ${Object.keys(c.get('form')).length}`))
app.onError((e, c) => c.text(e.message, e instanceof DomainError ? (e.status as 413) : 500))
const send = (body: string, length?: string) =>
  app.request('/f', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(length === undefined ? {} : { 'content-length': length }) } })

describe('postBodyLimit in process', () => {
  it('a body over the limit gets 413, counted as it arrives or judged by its Content-Length', async () => {
    const big = `a=${'b'.repeat(3000)}`
    expect((await send(big)).status).toBe(413)
    expect((await send(big, String(big.length))).status).toBe(413)
    expect(await (await send(big, String(big.length))).text()).toContain('larger than 1 KiB')
  })
  it('a body within it is read', async () => {
    const res = await send('a=1&b=2', '7')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('fields 2')
  })
})
