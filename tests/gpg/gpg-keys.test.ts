import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'

// A person with their own GnuPG key and no JavaScript: log in by pasting a clearsigned challenge,
// post session-attested or clearsigned, and everything signed verifies again in gpg.
let board: Awaited<ReturnType<typeof makeBoard>>
let gpg: Gpg
let fpr: string
beforeAll(async () => {
  board = await makeBoard()
  gpg = new Gpg()
  fpr = gpg.generate('gpg poster <poster@example.invalid>')
})
afterAll(async () => {
  await board.close()
  gpg.close()
})

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

async function logIn(c: Client, keyFpr: string) {
  const page = await c.get('/identity')
  const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page.text)![1]!)
  expect(challenge).toMatch(/^cellboard challenge v1\nsite: cellboard\.local\npurpose: login\nnonce: [A-Za-z0-9_-]{32}$/)
  return c.post('/identity/login', { via: 'gpg', public_key: gpg.exportPublic(keyFpr), signed: gpg.clearsign(keyFpr, `${challenge}\n`) })
}

describe('GnuPG keys, JS off', () => {
  it('a gpg-made key logs in by a pasted clearsigned challenge; the identity page says so', async () => {
    const c = board.client()
    const { res } = await logIn(c, fpr)
    expect(res.status).toBe(303)
    const { text } = await c.get('/identity')
    expect(text).toContain(`<code class="fpr">${fpr.toLowerCase()}</code>`)
    expect(text).toContain('your own GnuPG key')
    expect(text).not.toContain('private key')
  })

  it('an unsigned post from a gpg session is marked session-attested and has no signed text', async () => {
    const c = board.client()
    await logIn(c, fpr)
    await c.get('/c/lobby/general')
    const { res } = await c.post('/c/lobby/general', { title: 'Attested', body: 'Just typed, not signed.' })
    expect(res.status).toBe(303)
    const { text } = await c.get(res.headers.get('location')!)
    expect(text).toMatch(/<i class="sig">session-attested<\/i>/)
    expect(text).not.toContain('signed text</a>')
    expect((await c.request(`${res.headers.get('location')}/p/1.asc`)).status).toBe(404)
  })

  it('a clearsigned thread and reply are published as the signed text, which gpg --verify accepts', async () => {
    const c = board.client()
    await logIn(c, fpr)
    const boardPage = await c.get('/c/lobby/general')
    const template = unescape(/<pre class="to-sign">([\s\S]*?)<\/pre>/.exec(boardPage.text)![1]!)
    expect(template).toBe('cellboard post v1\nsite: cellboard.local\ncell: lobby\nboard: general\nthread: new\ntitle: Your title\n\nYour text…')
    const threadText = template.replace('Your title', 'Signed by gpg').replace('Your text…', 'A body *I* signed myself.\n\n- with a list')
    const start = await c.post('/c/lobby/general', { title: '', body: '', signed: gpg.clearsign(fpr, threadText) })
    expect(start.res.status).toBe(303)
    const thread = start.res.headers.get('location')!
    const threadId = thread.split('/').pop()
    const reply = await c.post(thread, { body: '', signed: gpg.clearsign(fpr, `cellboard post v1\nsite: cellboard.local\ncell: lobby\nboard: general\nthread: ${threadId}\n\nAnd a signed reply.`) })
    expect(reply.res.status).toBe(303)

    const { text } = await c.get(thread)
    expect(text).toContain('<h1>Signed by gpg</h1>')
    expect(text).toContain('<p>A body <em>I</em> signed myself.</p>')
    expect(text.match(/<i class="sig">gpg-signed<\/i>/g)).toHaveLength(2)
    writeFileSync(join(gpg.home, 'p2.asc'), await (await c.request(`${thread}/p/2.asc`)).text())
    const v = gpg.verify(join(gpg.home, 'p2.asc'))
    expect(v.err).toContain('Good signature')
    expect(v.status).toBe(0)
  })

  it('a signed text for another thread, board or site is refused, and nothing is stored', async () => {
    const c = board.client()
    await logIn(c, fpr)
    await c.get('/c/lobby/general')
    const before = await board.count('post')
    const good = 'cellboard post v1\nsite: cellboard.local\ncell: lobby\nboard: general\nthread: new\ntitle: T\n\nbody'
    for (const [from, to] of [['site: cellboard.local', 'site: elsewhere.example'], ['board: general', 'board: other'], ['thread: new', 'thread: 1']]) {
      const { res, text: page } = await c.post('/c/lobby/general', { title: '', body: '', signed: gpg.clearsign(fpr, good.replace(from!, to!)) })
      expect(res.status).toBe(422)
      expect(unescape(page)).toContain(`The signed text says "${to}"`)
    }
    expect(await board.count('post')).toBe(before)
  })

  it('a disposable key downloaded earlier can be imported into gpg and logs in again (round trip)', async () => {
    const c = board.client()
    const disposable = await c.takeIdentity()
    const secret = (await c.post('/identity/private-key.asc', {})).text
    await c.post('/identity/burn', {})
    expect(gpg.run(['--import'], secret).status).toBe(0)
    const again = board.client()
    const { res } = await logIn(again, disposable.toUpperCase())
    expect(res.status).toBe(303)
    expect((await again.get('/identity')).text).toContain(`<code class="fpr">${disposable}</code>`)
  })

  it('a challenge clearsigned by gpg on a clock one minute fast logs in; six minutes fast is refused, saying so', async () => {
    const challenge = async (c: Client) => unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec((await c.get('/identity')).text)![1]!)
    const c = board.client()
    const { res, text } = await c.post('/identity/login', { via: 'gpg', public_key: gpg.exportPublic(fpr), signed: gpg.clearsignAt(fpr, `${await challenge(c)}\n`, new Date(Date.now() + 60_000)) })
    expect(res.status, unescape(/role="alert">([^<]*)/.exec(text)?.[1] ?? '')).toBe(303)
    const late = board.client()
    const refused = await late.post('/identity/login', { via: 'gpg', public_key: gpg.exportPublic(fpr), signed: gpg.clearsignAt(fpr, `${await challenge(late)}\n`, new Date(Date.now() + 6 * 60_000)) })
    expect(refused.res.status).toBe(422)
    expect(unescape(refused.text)).toMatch(/ [56] min \d+ s ahead of this server’s clock; up to 5 min 0 s are allowed for/)
  })

  it('an RSA key of 3072 bits is accepted; one of 2048 bits is refused', async () => {
    const rsa3072 = gpg.generate('rsa big', 'rsa3072')
    expect((await logIn(board.client(), rsa3072)).res.status).toBe(303)
    const rsa2048 = gpg.generate('rsa small', 'rsa2048')
    const { res, text } = await logIn(board.client(), rsa2048)
    expect(res.status).toBe(422)
    expect(text).toContain('RSA keys of at least 3072 bits')
  })
})
