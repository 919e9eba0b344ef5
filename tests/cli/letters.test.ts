import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { exportLetters, sendLetter } from '../../src/services/letters.ts'
import { createCell } from '../../src/services/cells.ts'
import type { Deps } from '../../src/services/deps.ts'
import { makePgDatabase, TEST_DIALECT } from '../support/app.ts'
import { cellKeyPair, openLetter } from '../support/letters.ts'
import { TEST_SETTINGS } from '../support/settings.ts'

// The operator's letter commands: cell key set (from a file or standard input), letters export,
// letters handled, letters retention. Letters are written through the same service the form uses.
let dataDir: string
const env: Record<string, string> = {}
let drop: (() => Promise<void>) | undefined
beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cellboard-cli-letters-'))
  if (TEST_DIALECT === 'postgres') {
    const db = await makePgDatabase()
    env.DATABASE_URL = db.url
    drop = db.drop
  }
  // The board and its cell are made in this process: each CLI run costs a node start-up, which
  // took 15 s on a loaded machine. Only the commands under test are spawned.
  await withDeps((deps) => createCell(deps, { slug: 'lobby', name: 'Lobby', principles: [] }))
})
afterEach(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  await drop?.()
  drop = undefined
})
const root = new URL('../../', import.meta.url).pathname

function cli(...args: (string | { input: string })[]) {
  const input = args.find((a): a is { input: string } => typeof a !== 'string')?.input
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args.filter((a): a is string => typeof a === 'string')], { cwd: root, encoding: 'utf8', input, env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** The same board through the same composition root, in this process. */
async function withDeps<T>(work: (deps: Deps) => Promise<T>): Promise<T> {
  const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, DATA_DIR: dataDir, ...env }), { poolSize: 1, forgetAfterMigrating: false })
  try {
    return await work(deps)
  } finally {
    await close()
  }
}

/** Write a letter as the form would (JavaScript off). */
const writeLetter = (text: string) => withDeps(async (deps) => (await sendLetter(deps, { cell: 'lobby', text, ciphertext: '', cost: {} })).reference)

describe('npm run cellboard -- cell key / letters', () => {
  it('cell key set refuses a private key, saying why, and takes a public key from standard input; letters export writes the waiting letters for offline decryption; letters handled forgets them, then purges', { timeout: 240_000 }, async () => {
    const pair = await cellKeyPair()
    const file = join(dataDir, 'private.asc')
    writeFileSync(file, pair.privateKey)
    const secret = cli('cell', 'key', 'set', 'lobby', file)
    expect(secret.code).toBe(1)
    expect(secret.err).toMatch(/That is a private key.*never be on the server/)
    const ok = cli('cell', 'key', 'set', 'lobby', '-', { input: pair.publicKey })
    expect(ok.err).toBe('')
    expect(ok.out).toBe(`the key of lobby is now ${pair.fingerprint.toUpperCase().match(/.{4}/g)!.join(' ')}; letters are encrypted to it\n`)

    const refs = [await writeLetter('One letter'), await writeLetter('Another letter')]
    const out = join(dataDir, 'letters.asc')
    expect(cli('letters', 'export', 'lobby', '--out', out)).toMatchObject({ code: 0, out: `2 letters written to ${out}\n` })
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const messages = readFileSync(out, 'utf8').split(/(?=-----BEGIN PGP MESSAGE-----)/)
    expect(await Promise.all(messages.map(async (m) => (await openLetter(m, pair.privateKey)).text))).toEqual(['One letter', 'Another letter'])

    const handled = cli('letters', 'handled', 'lobby', refs[0]!, '0000-0000-0000-0000')
    expect(handled.code, handled.err).toBe(0)
    expect(handled.out).toMatch(/^forgot 1 letter \(no letter waits under 0000-0000-0000-0000\); purged: /)
    expect(await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).text)).not.toContain(refs[0])
    expect(await withDeps(async (deps) => (await exportLetters(deps, 'lobby')).count)).toBe(1)
  })
})
