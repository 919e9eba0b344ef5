import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePgDatabase } from '../support/app.ts'
import { startServer } from '../support/server.ts'

// A Redis that writes snapshots would put sessions and disposable private keys on disk: the
// server refuses it unless the operator says otherwise. A throw-away redis-server of our own,
// configured to persist, on a free loopback port.
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

let redis: ReturnType<typeof spawn>
let port: number
let dir: string
beforeAll(async () => {
  port = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'cellboard-redis-'))
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '900 1', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  await new Promise((r) => setTimeout(r, 300))
})
afterAll(async () => {
  // SIGKILL, and wait: on SIGTERM a Redis configured to save tries a last snapshot, and when that
  // fails (its folder removed under it) it refuses to exit. One was found still running, orphaned.
  const exited = new Promise((r) => redis.once('exit', r))
  redis.kill('SIGKILL')
  await exited
  rmSync(dir, { recursive: true, force: true })
})

describe('a Redis that persists', () => {
  it('is refused at start, unless REDIS_ALLOW_PERSISTENCE=true', async () => {
    const db = await makePgDatabase()
    try {
      const env = { DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}` }
      const refused = await startServer(env).then(
        async (s) => (await s.stop(), 'started'),
        (e: Error) => e.message,
      )
      expect(refused).toMatch(/server exited with 1/)
      expect(refused).toMatch(/Redis persists to disk \(save "900 1"/)
      const allowed = await startServer({ ...env, REDIS_ALLOW_PERSISTENCE: 'true' })
      expect(allowed.output()).toContain('listening on')
      await allowed.stop()
    } finally {
      await db.drop()
    }
  })
})
