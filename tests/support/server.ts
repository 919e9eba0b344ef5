import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_SETTINGS } from './settings.ts'

export type RunningServer = { url: string; dataDir: string; proc: ChildProcess; output: () => string; stop: () => Promise<void> }

let ownFlags: string[] | undefined // package.json's, read once

/**
 * The node flags `npm start` gives the server (package.json's start script): the tests and the
 * benchmarks run it with the same ones. The start script is read, not copied, so the two cannot
 * drift apart; a start script of another shape stops every server test here, saying so. With
 * `script`, that script's flags instead.
 */
export function startFlags(script?: string): string[] {
  if (script === undefined) return (ownFlags ??= startFlags((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start))
  const m = /^exec node ((?:--[a-z0-9-]+(?:=[^\s]+)? )*)--import tsx src\/main\.ts$/.exec(script)
  if (!m) throw new Error(`package.json's start script is not "exec node [FLAGS] --import tsx src/main.ts": ${script}`)
  return m[1]!.split(' ').filter(Boolean)
}

/**
 * Start the real server (`src/main.ts`, as `npm start` does, with its node flags) on a free loopback port with its own
 * data folder. Everything it prints is captured, so tests can check what it logs. `nodeArgs` go
 * before the script (the benchmarks profile with --cpu-prof). Identities cost nothing
 * (ABUSE_COSTS=off) unless `env` turns the costs on.
 */
export async function startServer(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<RunningServer> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'cellboard-server-'))
  const started = await startListening([...startFlags(), ...nodeArgs, '--import', 'tsx', 'src/main.ts'], { HOST: '127.0.0.1', PORT: '0', ...TEST_SETTINGS, ...env, DATA_DIR: dataDir }, 'server')
  return { ...started, dataDir }
}

/** Run a node script of this repository that prints "listening on URL" (the server, bench/ceiling.ts); resolve once it has. */
export async function startListening(args: string[], env: Record<string, string>, name = args.at(-1)!): Promise<Omit<RunningServer, 'dataDir'>> {
  const root = new URL('../../', import.meta.url).pathname
  const proc = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout!.on('data', (d) => (out += d))
  proc.stderr!.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => (proc.kill('SIGKILL'), reject(new Error(`${name} did not start:\n${out}`))), 30_000)
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    proc.stdout!.on('data', check)
    proc.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${out}`)))
  })
  return {
    url,
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
        proc.on('exit', () => resolve())
        proc.kill('SIGTERM')
      }),
  }
}
