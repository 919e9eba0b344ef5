import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { createCell } from '../../src/services/cells.ts'
import type { Deps } from '../../src/services/deps.ts'
import { makePgDatabase, TEST_DIALECT } from './app.ts'
import { TEST_SETTINGS } from './settings.ts'

const root = new URL('../../', import.meta.url).pathname

/**
 * For a test file of operator commands: before each test a board of its own (a folder, or a
 * PostgreSQL database) with the cell "lobby", made in this process — each CLI run costs a node
 * start-up, which took 15 s on a loaded machine, so only the commands under test are spawned.
 */
export function cliBoard(prefix: string) {
  let dataDir = ''
  const env: Record<string, string> = {}
  let drop: (() => Promise<void>) | undefined

  /** The same board through the same composition root, in this process. */
  async function withDeps<T>(work: (deps: Deps) => Promise<T>): Promise<T> {
    const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, DATA_DIR: dataDir, ...env }), { poolSize: 1, forgetAfterMigrating: false })
    try {
      return await work(deps)
    } finally {
      await close()
    }
  }

  /** `npm run cellboard -- ARGS` on the board; `{ input }` is its standard input. */
  function cli(...args: (string | { input: string })[]) {
    const input = args.find((a): a is { input: string } => typeof a !== 'string')?.input
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args.filter((a): a is string => typeof a === 'string')], { cwd: root, encoding: 'utf8', input, env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env } })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), prefix))
    if (TEST_DIALECT === 'postgres') {
      const db = await makePgDatabase()
      env.DATABASE_URL = db.url
      drop = db.drop
    }
    await withDeps((deps) => createCell(deps, { slug: 'lobby', name: 'Lobby', principles: [] }))
  })
  afterEach(async () => {
    rmSync(dataDir, { recursive: true, force: true })
    await drop?.()
    drop = undefined
  })

  return { cli, withDeps, dir: () => dataDir }
}
