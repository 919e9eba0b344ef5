import { spawn } from 'node:child_process'

const root = new URL('../../', import.meta.url).pathname

/**
 * `npm run cellboard -- ARGS` as its own process, as an operator runs it beside a running server:
 * its environment only PATH, HOME and `env` (the server's settings: its data folder or database).
 */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('error', reject)
    p.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}
