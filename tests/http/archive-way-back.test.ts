import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { exportCell } from '../../src/services/archive/export.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard } from '../support/app.ts'
import { heldKey } from '../support/keys.ts'

// A cell's archive read offline or from a mirror (a JS-off walkthrough in w3m and lynx): its header
// read "Lobbyarchive" in a text browser, and offline.html, where every link to what needs a server
// (a letter, a vote, an open question) leads, named no way to the live cell. It now names the board's
// address when the operator gave one (PUBLIC_URL); a localhost default would lead nowhere, so none.

let board: Awaited<ReturnType<typeof makeBoard>> | undefined
let work: string | undefined
afterEach(async () => {
  await board?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

async function exported(env: Record<string, string>) {
  board = await makeBoard(env)
  await setCellKey(board.deps, { cell: 'lobby', armoredKey: (await heldKey()).publicKey })
  work = mkdtempSync(join(tmpdir(), 'cellboard-archive-way-'))
  await exportCell(board.deps, { cell: 'lobby', out: join(work, 'archive') })
  return join(work, 'archive')
}
const w3m = (file: string) => execFileSync('w3m', ['-dump', '-cols', '200', '-T', 'text/html', file], { encoding: 'utf8', env: { ...process.env, HOME: work! } })

describe('an archive read away from its server', () => {
  it('names the live cell on offline.html when the operator set PUBLIC_URL, and its header reads as words in w3m', async () => {
    const dir = await exported({ PUBLIC_URL: 'http://exampleonionaddressxyz.onion' })
    const offline = readFileSync(join(dir, 'offline.html'), 'utf8')
    expect(offline).toContain('<a href="http://exampleonionaddressxyz.onion/c/lobby">http://exampleonionaddressxyz.onion/c/lobby</a>')
    expect(w3m(join(dir, 'offline.html'))).toContain('http://exampleonionaddressxyz.onion/c/lobby')
    const index = w3m(join(dir, 'index.html'))
    expect(index).not.toMatch(/Lobbyarchive/i)
    expect(index).toMatch(/Lobby\s+archive/)
  })

  it('names no address when none was given (the default is this machine’s localhost)', async () => {
    const dir = await exported({})
    const offline = readFileSync(join(dir, 'offline.html'), 'utf8')
    expect(offline).not.toContain('localhost')
    expect(offline).not.toContain('http://')
  })
})
