import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TEST_SETTINGS } from '../support/settings.ts'

// Issue 14: stopping `npm start` with a signal must stop the server. npm forwards the signal to the
// shell it ran the script in; a shell that did not exec the server died and left it running.
const root = new URL('../../', import.meta.url).pathname

/** Every process below `pid`, children first found first. */
function descendants(pid: number): number[] {
  let out = ''
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
  } catch {
    return [] // ps exits 1 when there is none
  }
  const children = out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0)
  return children.flatMap((c) => [c, ...descendants(c)])
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.on('connect', () => (s.destroy(), resolve(false)))
    s.on('error', () => resolve(true))
  })

describe('npm start', () => {
  it('SIGTERM to the npm process stops the server: the port closes and no process of it remains', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cellboard-npm-start-'))
    const npm = spawn('npm', ['start'], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...TEST_SETTINGS, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    npm.stdout!.on('data', (d) => (out += d))
    npm.stderr!.on('data', (d) => (out += d))
    const exited = new Promise<void>((resolve) => npm.on('exit', () => resolve()))
    let below: number[] = []
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not listen:\n${out}`)), 60_000)
        npm.stdout!.on('data', () => {
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
          if (m) (clearTimeout(timer), resolve(Number(m[1])))
        })
        npm.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)))
      })
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
      below = descendants(npm.pid!)
      expect(below.length).toBeGreaterThan(0)

      npm.kill('SIGTERM')
      await exited
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && (below.some(alive) || !(await refused(port)))) await new Promise((r) => setTimeout(r, 100))
      expect(below.filter(alive), `still running after npm was stopped:\n${out}`).toEqual([])
      expect(await refused(port)).toBe(true)
    } finally {
      // Whatever this test started and is still running (only when it fails).
      for (const pid of [npm.pid!, ...below]) if (alive(pid)) process.kill(pid, 'SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
