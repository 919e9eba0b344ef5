import { spawn } from 'node:child_process'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { startServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

const root = new URL('../../', import.meta.url).pathname

function purgeCli(dataDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'purge'], { cwd: root, env: { PATH: process.env.PATH, DATA_DIR: dataDir } })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (out += d))
    p.on('exit', (code) => resolve({ code, out }))
  })
}

describe('durability and concurrent writers', () => {
  it('kill -9 during a write load loses no acknowledged post; purge runs beside the server without SQLITE_BUSY', async () => {
    const server = await startServer()
    const posters = await Promise.all(Array.from({ length: 6 }, async () => {
      const v = new Visitor(server.url)
      await v.takeIdentity()
      return v
    }))
    await posters[0]!.fetch('/c/lobby/general')
    const thread = (await posters[0]!.post('/c/lobby/general', { title: 'Load', body: 'first' })).res.headers.get('location')!
    await Promise.all(posters.map((p) => p.fetch(thread)))

    const acknowledged: number[] = []
    const failures: string[] = []
    let stop = false
    const deadline = Date.now() + 20_000 // bounded even if the kill never comes
    const load = posters.map(async (p, i) => {
      for (let n = 0; !stop && Date.now() < deadline; n++) {
        try {
          const { res } = await p.post(thread, { body: `poster ${i} post ${n}` })
          if (res.status === 303) acknowledged.push(Number(/#p(\d+)$/.exec(res.headers.get('location')!)![1]))
          else failures.push(`status ${res.status}`)
        } catch {
          return // the connection died with the server
        }
      }
    })
    // Two purge runs beside the server, while it writes.
    const purges = [await purgeCli(server.dataDir), await purgeCli(server.dataDir)]
    while (acknowledged.length < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    server.proc.kill('SIGKILL')
    stop = true
    await Promise.all(load)
    await new Promise((r) => server.proc.exitCode !== null || server.proc.signalCode !== null ? r(null) : server.proc.once('exit', r))

    for (const p of purges) {
      expect(p.out).not.toMatch(/SQLITE_BUSY|database is locked/i)
      expect(p.code).toBe(0)
    }
    expect(failures).toEqual([])
    expect(server.output()).not.toMatch(/SQLITE_BUSY|database is locked|internal error/i)
    expect(acknowledged.length).toBeGreaterThanOrEqual(150)

    // After a restart, every acknowledged post is there and the file is sound.
    const again = await startServer({ DATA_DIR: server.dataDir })
    try {
      const db = new Database(`${server.dataDir}/cellboard.db`, { readonly: true })
      const stored = new Set(db.prepare('select number from post').pluck().all() as number[])
      expect(acknowledged.filter((n) => !stored.has(n))).toEqual([])
      expect(db.prepare('pragma integrity_check').pluck().get()).toBe('ok')
      db.close()
      expect((await new Visitor(again.url).fetch(thread)).res.status).toBe(200)
    } finally {
      await again.stop()
    }
  }, 90_000)
})
