import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import type { Deps } from '../../src/services/deps.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard, pgCheckpoint, pgDataDirectory, pgServerEnv, TEST_DIALECT } from '../support/app.ts'
import { hiddenFields } from '../support/forms.ts'
import { heldKey, logInWith } from '../support/keys.ts'
import { cellKeyPair, makeRole, referenceOn, withCellKey } from '../support/letters.ts'
import { findMarkers, findMarkersInDir } from '../support/scan.ts'
import { type RunningServer, startServer } from '../support/server.ts'
import { TEST_SETTINGS } from '../support/settings.ts'
import { Visitor } from '../support/visitor.ts'

// Against someone who later gets a copy of the data folder (SQLite's files and WAL, or the whole
// PostgreSQL data directory) or the server's output: a letter sent with JavaScript off is never
// there as plaintext, and a handled letter's ciphertext is gone once the purge returns.
let board: Awaited<ReturnType<typeof makeBoard>> | undefined
afterEach(async () => {
  await board?.close()
  board = undefined
})

const marker = (kind: string) => `${kind}${randomBytes(9).toString('hex')}`

/** Lines of an armored message that are base64 through and through: each is found only if the ciphertext is there. */
const armorLines = (armored: string) => armored.split('\n').filter((l) => /^[A-Za-z0-9+/]{60,}$/.test(l))

describe('letters leave no plaintext, and a handled letter leaves nothing', () => {
  it('the plaintext of a letter sent with JavaScript off is never in the files, before or after it is handled; its ciphertext was there, and is gone after the purge', async () => {
    board = await makeBoard()
    await withCellKey(board)
    const secret = marker('LETTERPLAIN')
    const writer = board.client()
    await writer.get('/c/lobby/letters/new')
    const sent = await writer.post('/c/lobby/letters', { text: `Dear cell, ${secret}, from a reader.` })
    expect(sent.res.status).toBe(200)
    const reference = referenceOn(sent.text)!
    const [ciphertext] = (await board.column('select ciphertext from letter where reference = ?', reference)) as string[]
    const lines = armorLines(ciphertext!)
    expect(lines.length).toBeGreaterThan(10)
    const cipherMarkers = [lines[3]!, lines[10]!, reference]

    // Never the plaintext: first as the files stand (the WAL included, no checkpoint to hide it),
    // then once every page is written to the data files.
    expect(await board.findMarkers([secret])).toEqual({})
    expect(await board.findPresentMarkers([secret])).toEqual({})
    // The scan can see: the ciphertext and the reference are there.
    expect(Object.keys(await board.findPresentMarkers(cipherMarkers)).sort()).toEqual([...cipherMarkers].sort())

    const voter = board.client()
    await makeRole(board, voter, 'voter')
    await voter.get('/c/lobby/letters')
    const handled = await voter.post('/c/lobby/letters/handled', { references: reference })
    expect(handled.res.status).toBe(303)
    // The purge has returned: no checkpoint before this scan (one could hide a purge that failed).
    const left = await board.findMarkers([...cipherMarkers, secret])
    expect(left, JSON.stringify(left)).toEqual({})
    expect(await board.count('letter')).toBe(0)
  })
})

// The same letter through the real server (src/main.ts, its own process): its plaintext is also
// never in what the server prints, to stdout or stderr, nor in its files, before or after the purge.
describe('a letter sent to the real server with JavaScript off', () => {
  let server: RunningServer | undefined
  let drop: (() => Promise<void>) | undefined
  afterEach(async () => {
    await server?.stop()
    await drop?.()
    ;[server, drop] = [undefined, undefined]
  })

  /** The server's board reached from this process, as the operator's CLI would (no node start-up). */
  async function withDeps<T>(env: Record<string, string>, work: (deps: Deps) => Promise<T>): Promise<T> {
    const { deps, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...env }), { poolSize: 1, forgetAfterMigrating: false })
    try {
      return await work(deps)
    } finally {
      await close()
    }
  }

  it('its plaintext is never in the server’s stdout or stderr, nor in the files, before or after it is handled; the scan finds it in what was sent', async () => {
    const env: Record<string, string> = {}
    if (TEST_DIALECT === 'postgres') {
      const pg = await pgServerEnv()
      Object.assign(env, pg.env)
      drop = pg.drop
    }
    server = await startServer(env)
    const s = server
    const serverEnv = { ...env, DATA_DIR: s.dataDir }
    const voterKey = await heldKey()
    await withDeps(serverEnv, async (deps) => {
      await setCellKey(deps, { cell: 'lobby', armoredKey: (await cellKeyPair()).publicKey })
      await addRosterKey(deps, { cell: 'lobby', armoredKey: voterKey.publicKey, tier: 'voter' })
    })
    /** Where markers are: the server's output, and its SQLite files or the whole PostgreSQL data directory. */
    const scan = async (markers: string[], extra: Record<string, string> = {}) => {
      const printed = { 'server output': s.output(), ...extra }
      return TEST_DIALECT === 'postgres' ? findMarkersInDir(await pgDataDirectory(), markers, printed) : findMarkers(s.dataDir, markers, printed)
    }

    // A letter as a browser with JavaScript off sends it, and one the server refuses (a NUL in it),
    // which goes through the same parsing before the refusal.
    const secret = marker('LETTERSERVED')
    const refusedSecret = marker('LETTERREFUSED')
    const writer = new Visitor(s.url)
    const body = new URLSearchParams({ ...hiddenFields((await writer.get('/c/lobby/letters/new')).text, '/c/lobby/letters'), text: `Dear cell,\n${secret}\nfrom a reader.` }).toString()
    const sent = await writer.fetch('/c/lobby/letters', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(sent.res.status).toBe(200)
    const reference = referenceOn(sent.text)!
    expect(reference).toBeTruthy()
    await writer.get('/c/lobby/letters/new')
    const refused = await writer.post('/c/lobby/letters', { text: `${refusedSecret}\u0000` })
    expect(refused.res.status).toBe(422)

    // The scan can fail: it finds the marker in what was sent, and the output was captured.
    expect(await scan([secret], { 'what was sent': body })).toEqual({ [secret]: ['what was sent'] })
    expect(s.output()).toContain('listening on')
    // And it can see the files: the letter's ciphertext and reference are there.
    const voter = new Visitor(s.url)
    await logInWith(voter, voterKey)
    const inbox = await voter.get('/c/lobby/letters/inbox.asc')
    expect(inbox.res.status).toBe(200)
    const lines = armorLines(inbox.text)
    expect(lines.length).toBeGreaterThan(10)
    const cipherMarkers = [lines[3]!, lines[10]!, reference]
    if (TEST_DIALECT === 'postgres') await pgCheckpoint()
    expect(Object.keys(await scan(cipherMarkers)).sort()).toEqual([...cipherMarkers].sort())

    // Never the plaintext, in the output or the files.
    const before = await scan([secret, refusedSecret])
    expect(before, JSON.stringify(before)).toEqual({})

    await voter.get('/c/lobby/letters')
    const handled = await voter.post('/c/lobby/letters/handled', { references: reference })
    expect(handled.res.status).toBe(303)
    // The purge has returned: no checkpoint before this scan (one could hide a purge that failed).
    const after = await scan([secret, refusedSecret, ...cipherMarkers])
    expect(after, JSON.stringify(after)).toEqual({})

    // And after a clean stop (SQLite checkpoints its WAL into the main file then).
    await s.stop()
    const stopped = await scan([secret, refusedSecret, ...cipherMarkers])
    expect(stopped, JSON.stringify(stopped)).toEqual({})
  })
})
