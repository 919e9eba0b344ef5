import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'

// An address may name a number no row can have: a thread, post, question, key transition or page
// past what PostgreSQL's integer columns hold (2,147,483,647). Such an address names nothing, and
// is answered as any other address that names nothing (404, a page saying so), not with an error
// of the database's: PostgreSQL refused the number as out of range for its integers and the reader
// got a 500 ("Something broke on our side") and the operator an internal error in the log.

let board: Awaited<ReturnType<typeof makeBoard>>
let thread: string
beforeAll(async () => {
  board = await makeBoard({ POSTS_PER_PAGE: '200' })
  const c = board.client()
  await c.takeIdentity()
  await c.get('/c/lobby/general')
  thread = (await c.post('/c/lobby/general', { title: 'Numbers', body: 'first words' })).res.headers.get('location')!.split('#')[0]!
})
afterAll(() => board.close())

describe('a number past what the database holds, in an address', () => {
  it('is a 404 page, on every kind of address that takes one', async () => {
    const c = board.client()
    // The thread is there and is read at its own numbers: the 404s below are for the numbers.
    expect((await c.get(thread)).text).toContain('first words')
    const addresses = [
      '/c/lobby/general/t/2147483648', '/c/lobby/general/t/9999999999', '/c/lobby/general/t/999999999999999',
      `${thread}/p/2147483648`, `${thread}/p/9999999999`, `${thread}/p/9999999999.asc`,
      // Pages in range whose first post is not: page 10,737,419 of 200 posts starts at post 2,147,483,601.
      `${thread}?page=10737419`, `${thread}?page=999999999`, `${thread}?page=2147483647`, `${thread}?page=2147483648`,
      '/c/lobby/general?page=2147483648', '/c/lobby/general?page=999999999999999',
      '/c/lobby/questions/2147483648', '/c/lobby/questions/9999999999/bundle.json', '/c/lobby/key-transitions/9999999999/key.asc',
    ]
    const answers: Record<string, number> = {}
    for (const path of addresses) answers[path] = (await c.get(path)).res.status
    expect(answers).toEqual(Object.fromEntries(addresses.map((p) => [p, 404])))
    const page = await c.get(`${thread}?page=999999999`)
    expect(page.text).toContain('Not found')
    expect(page.text).not.toContain('Something broke')
    // A page past the last (a bookmark kept while posts went) shows the way to the last one there is.
    expect(page.text).toContain(`<a href="${thread}?page=1">Go to the last page there is (page 1)</a>`)
    expect((await c.get('/c/lobby/general?page=5')).text).toContain('<a href="/c/lobby/general?page=1">Go to the last page there is (page 1)</a>')
    // Not for a thread that is not there, nor for a page number that is none.
    for (const path of ['/c/lobby/general/t/2147483648', `${thread}?page=0`, `${thread}?page=abc`]) expect((await c.get(path)).text).not.toContain('Go to the last page')
  })
})
