import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { pgServerEnv } from '../support/app.ts'
import { startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'
import { until } from '../support/until.ts'

// On PostgreSQL a reply is written and announced to the other nodes by one statement
// (db/posts.ts, replyWriter). Each announcement is a NOTIFY every node's listener wakes for, so a
// reply makes one (replies to one thread written together make one between them: PostgreSQL folds
// the same notice sent twice in a transaction), and the post that puts a board in flood one more
// (every page of the board now shows the banner). The replies here go one at a time. The cached pages a post does not touch stay kept.
const FLOOD = { FLOOD_POSTS_PER_MINUTE: '3', FLOOD_HOLD_MINUTES: '10', ABUSE_COSTS: 'off' }
const banner = (page: string) => page.includes('<p class="notice flood"')

describe('replies on PostgreSQL, as the other nodes hear of them', () => {
  it('one notice per reply, one more when the board goes into flood, and every page of the board shows it on both nodes', async () => {
    const { env, drop } = await pgServerEnv()
    const [a, b] = await Promise.all([startServer({ ...env, ...FLOOD }), startServer({ ...env, ...FLOOD })])
    const listener = new pg.Client({ connectionString: env.DATABASE_URL })
    try {
      const heard: string[] = []
      await listener.connect()
      listener.on('notification', (n) => heard.push(n.payload ?? ''))
      await listener.query('listen cellboard_invalidate')

      const onA = new Visitor(a.url)
      await onA.takeIdentity()
      await onA.fetch('/c/lobby/general')
      const quiet = (await onA.post('/c/lobby/general', { title: 'Quiet thread', body: 'nothing after this' })).res.headers.get('location')!
      const busy = (await onA.post('/c/lobby/general', { title: 'Busy thread', body: 'replies follow' })).res.headers.get('location')!
      // Node B keeps the quiet thread's page, with no banner yet.
      const reader = new Visitor(b.url)
      expect(banner((await reader.fetch(quiet)).text)).toBe(false)
      await onA.fetch(busy)

      // Two threads and one reply make 3 posts; the fourth post passes the threshold.
      const before = heard.length
      for (let i = 1; i <= 4; i++) expect((await onA.post(busy, { body: `reply ${i}` })).res.status, `reply ${i}`).toBe(303)
      expect(await until(async () => heard.length - before >= 5)).toBe(true)
      await new Promise((r) => setTimeout(r, 300)) // any notice more would be heard by now
      const notices = heard.slice(before).map((p) => p.split(' ')[1])
      // Each reply's own (its thread, the board's list of threads), and the flood's (the board's every page).
      expect(notices.filter((t) => /^thread:\d+,listing:\d+$/.test(t!))).toHaveLength(4)
      expect(notices.filter((t) => /^board:\d+$/.test(t!))).toHaveLength(1)
      expect(notices).toHaveLength(5)

      // The quiet thread's page on B was not touched by the replies, but the flood is on it.
      expect(await until(async () => banner((await reader.fetch(quiet)).text))).toBe(true)
      expect(await until(async () => (await reader.fetch(busy)).text.includes('reply 4'))).toBe(true)
      expect(banner((await reader.fetch('/c/lobby/general')).text)).toBe(true)
    } finally {
      await listener.end().catch(() => {})
      await Promise.all([a.stop(), b.stop()])
      await drop()
    }
  }, 60_000)
})
