import { describe, expect, it } from 'vitest'
import { pgServerEnv } from '../support/app.ts'
import { hiddenFields } from '../support/forms.ts'
import { clearsignWith, heldKey, unescape } from '../support/keys.ts'
import { startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

// Several stateless nodes behind one onion service: one PostgreSQL, one Redis.
describe('two nodes sharing PostgreSQL and Redis', () => {
  it('an identity taken on one node posts there, reads and replies on the other, and burning it on the other ends it on both', async () => {
    const { env: pgEnv, drop } = await pgServerEnv() // both nodes share it
    const env = pgEnv
    const [a, b] = await Promise.all([startServer(env), startServer(env)])
    try {
      expect(a.url).not.toBe(b.url)
      expect(a.output()).toContain('(postgres, redis)')
      // One person, one browser: the same cookies, whichever node answers.
      const onA = new Visitor(a.url)
      const onB = new Visitor(b.url)
      onB.cookies = onA.cookies
      const fpr = await onA.takeIdentity()
      await onA.fetch('/c/lobby/general')
      const thread = (await onA.post('/c/lobby/general', { title: 'Across nodes', body: 'written on node A' })).res.headers.get('location')!
      expect(thread).toMatch(/\/t\/\d+$/)

      // Node B knows the session (Redis) and the post (PostgreSQL).
      const read = await onB.fetch(thread)
      expect(read.text).toContain('written on node A')
      expect(read.text).toContain(`title="${fpr}"`)
      const reply = await onB.post(thread, { body: 'answered on node B' })
      expect(reply.res.status).toBe(303)

      // Node A, which had the thread page cached, hears of the reply and shows it.
      let seen = false
      for (let i = 0; i < 40 && !seen; i++) {
        seen = (await new Visitor(a.url).fetch(thread)).text.includes('answered on node B')
        if (!seen) await new Promise((r) => setTimeout(r, 50))
      }
      expect(seen).toBe(true)

      // Burn on B: the session is gone on both nodes at once, even for its old cookie.
      const sid = onA.cookies.get('cb_session')!
      expect((await new Visitor(a.url).fetch('/identity/public-key.asc', { headers: { cookie: `cb_session=${sid}` } })).res.status).toBe(200)
      await onB.fetch('/identity')
      expect((await onB.post('/identity/burn', {})).res.status).toBe(303)
      for (const node of [a, b]) {
        const replay = new Visitor(node.url)
        replay.cookies.set('cb_session', sid)
        expect((await replay.fetch('/identity/public-key.asc')).res.status).toBe(404)
        expect((await replay.fetch('/identity')).text).toContain('Take an identity')
      }
    } finally {
      await Promise.all([a.stop(), b.stop()])
      await drop()
    }
  }, 60_000)

  it('a login challenge shown by one node logs in on the other, once: a replay on either is "already used"', async () => {
    const { env: pgEnv, drop } = await pgServerEnv() // both nodes share it
    const env = pgEnv
    const [a, b] = await Promise.all([startServer(env), startServer(env)])
    try {
      const key = await heldKey()
      const onA = new Visitor(a.url)
      const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec((await onA.fetch('/identity')).text)![1]!)
      const signed = await clearsignWith(key.privateKey, challenge)
      const onB = new Visitor(b.url)
      await onB.fetch('/identity')
      const login = await onB.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })
      expect(login.res.status).toBe(303)
      for (const node of [a, b]) {
        const replay = new Visitor(node.url)
        await replay.fetch('/identity')
        const r = await replay.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })
        expect(r.res.status).toBe(422)
        expect(unescape(r.text)).toContain('That challenge was already used')
      }
    } finally {
      await Promise.all([a.stop(), b.stop()])
      await drop()
    }
  }, 60_000)

  it('a puzzle shown by one node draws on the other, and is tried once across both: a second try on either is refused', async () => {
    const { env: pgEnv, drop } = await pgServerEnv() // both nodes share it
    const env = { ...pgEnv, ABUSE_COSTS: 'on' }
    const [a, b] = await Promise.all([startServer(env), startServer(env)])
    try {
      const onA = new Visitor(a.url)
      const id = hiddenFields((await onA.fetch('/identity')).text, '/identity/disposable').cost_puzzle!
      // Sealed under the secret both nodes share: B opens what A sealed.
      expect((await new Visitor(b.url).fetch(`/cost/${id}.png`)).res.status).toBe(200)
      // Its one try, on B (the answer is unknown here: a wrong one uses it up as well as a right one).
      const onB = new Visitor(b.url)
      const tried = await onB.post('/identity/disposable', { cost_puzzle: id, cost_picture: 'wrong', cost_answer: 'none' })
      expect(tried.res.status).toBe(422)
      expect(unescape(tried.text)).toContain('That answer did not match')
      for (const node of [a, b]) {
        expect((await new Visitor(node.url).fetch(`/cost/${id}.png`)).res.status).toBe(404)
        const again = await new Visitor(node.url).post('/identity/disposable', { cost_puzzle: id, cost_picture: 'wrong', cost_answer: 'none' })
        expect(again.res.status).toBe(422)
        expect(unescape(again.text)).toContain('are no longer good')
      }
    } finally {
      await Promise.all([a.stop(), b.stop()])
      await drop()
    }
  }, 60_000)
})
