import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TEST_SETTINGS } from '../support/settings.ts'
import { startFlags, startServer } from '../support/server.ts'

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

/** A process's arguments as the kernel has them (Linux); none for a process gone meanwhile. */
function argsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return []
  }
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
      // Issue 15: the server runs without V8's memory reducer (README, "Start").
      const args = below.map(argsOf)
      const server = args.find((a) => a.at(-1) === 'src/main.ts')
      expect(server, `no src/main.ts below npm:\n${args.map((a) => a.join(' ')).join('\n')}`).toBeDefined()
      expect(server).toContain('--no-memory-reducer')

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

// Issue 15: V8's memory reducer, which collects and shrinks the heap when the process falls idle,
// left a cache hit dearer from then on (interleaved medians 25–27.5 against 22–24 µs, BENCHMARKS.md).
// `npm start` turns it off; the servers the tests and benchmarks start must run as npm start does.
describe('the server the tests and benchmarks start', () => {
  it("is given npm start's node flags, read from package.json", async () => {
    expect(startFlags()).toContain('--no-memory-reducer')
    const s = await startServer()
    try {
      const args = argsOf(s.proc.pid!)
      expect(args.slice(1, 1 + startFlags().length)).toEqual(startFlags())
      expect(args.at(-1)).toBe('src/main.ts')
      expect((await fetch(s.url + '/')).status).toBe(200)
    } finally {
      await s.stop()
      rmSync(s.dataDir, { recursive: true, force: true })
    }
  })

  it('reads the flags of a start script, and refuses one of another shape', () => {
    expect(startFlags('exec node --import tsx src/main.ts')).toEqual([])
    expect(startFlags('exec node --no-memory-reducer --max-semi-space-size=16 --import tsx src/main.ts')).toEqual(['--no-memory-reducer', '--max-semi-space-size=16'])
    expect(() => startFlags('node --import tsx src/main.ts')).toThrow(/start script/)
    expect(() => startFlags('exec node --import tsx src/main.ts --watch')).toThrow(/start script/)
  })
})
