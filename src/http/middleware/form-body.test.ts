import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../../domain/errors.ts'
import type { AppEnv } from '../env.ts'
import { formBody, postBodyLimit } from './form-body.ts'

function app(limit = 1024) {
  const a = new Hono<AppEnv>()
  a.use(async (c, next) => (c.set('form', {}), next()))
  a.use(postBodyLimit(limit))
  a.use(formBody)
  a.all('/', (c) => c.json(c.get('form')))
  a.onError((e, c) => c.text(e.message, e instanceof DomainError ? (e.status as 400) : 500))
  return a
}
const post = (body: string | Uint8Array<ArrayBuffer>, type = 'application/x-www-form-urlencoded', limit?: number) => app(limit).request('/', { method: 'POST', body, headers: { 'content-type': type } })

describe('formBody and postBodyLimit', () => {
  it('parses a urlencoded form: + as space, percent-escapes as UTF-8, the last of a repeated name', async () => {
    const res = await post('title=A+b%C3%A9&body=x%26y&empty=&flag&title=two')
    expect(await res.json()).toEqual({ title: 'two', body: 'x&y', empty: '', flag: '' })
  })
  it('leaves a GET alone', async () => {
    expect(await (await app().request('/?a=1')).json()).toEqual({})
  })
  it('refuses another content type with 415', async () => {
    expect((await post('{"a":1}', 'application/json')).status).toBe(415)
    expect((await post('a=1', 'multipart/form-data; boundary=x')).status).toBe(415)
  })
  it('refuses bytes or escapes that are not UTF-8 with 400, never replacing them', async () => {
    expect((await post(new Uint8Array([0x61, 0x3d, 0xff]))).status).toBe(400)
    expect((await post('a=%FF')).status).toBe(400)
    expect((await post('a=%E2%82')).status).toBe(400)
  })
  it('refuses a body over the limit with 413 before reading it, and says what fits', async () => {
    const res = await post(`body=${'x'.repeat(2000)}`, undefined, 1024)
    expect(res.status).toBe(413)
    expect(await res.text()).toContain('larger than 1 KiB as sent')
  })
  it('judges a body by its Content-Length when it says one (in process a request has none unless set; over HTTP: tests/server/form-body-limit.test.ts)', async () => {
    const withLength = (body: string) => app().request('/', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } })
    const big = await withLength(`body=${'x'.repeat(2000)}`)
    expect(big.status).toBe(413)
    expect(await big.text()).toContain('larger than 1 KiB as sent')
    expect(await (await withLength('a=1&b=2')).json()).toEqual({ a: '1', b: '2' })
  })
})
