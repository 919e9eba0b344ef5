import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { ensureDefaultCell } from '../../src/services/cells.ts'
import { generateDisposableKey } from '../../src/pgp.ts'
import { makePgDatabase, TEST_DIALECT } from '../support/app.ts'
import { TEST_SETTINGS } from '../support/settings.ts'

// The operator CLI, run as `npm run cellboard -- …` runs it (tsx src/cli.ts). Each test has a data
// folder of its own (and on PostgreSQL a database of its own), made into a board with `init`.
let dataDir: string
const env: Record<string, string> = {}
let drop: (() => Promise<void>) | undefined
beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cellboard-cli-'))
  if (TEST_DIALECT === 'postgres') {
    const db = await makePgDatabase()
    env.DATABASE_URL = db.url
    drop = db.drop
  }
  expect(cli('init').code).toBe(0)
})
afterEach(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  await drop?.()
  drop = undefined
})
const root = new URL('../../', import.meta.url).pathname

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('npm run cellboard', () => {
  // A PostgreSQL database is named by DATABASE_URL and exists before the CLI runs: SQLite only.
  it.skipIf(TEST_DIALECT === 'postgres')('refuses a folder that holds no board, saying which DATA_DIR it looked in, and creates nothing there', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cellboard-cli-empty-'))
    try {
      for (const dir of [empty, join(empty, 'not-made')]) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'cell', 'list'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, DATA_DIR: dir } })
        expect(r.status).toBe(1)
        expect(r.stderr).toContain(`there is no board at ${join(dir, 'cellboard.db')} (DATA_DIR is ${dir})`)
        expect(r.stderr).toContain('npm run cellboard -- init')
        expect(r.stdout).toBe('')
      }
      expect(readdirSync(empty)).toEqual([])
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('creates a cell with its principles, a members board, and a roster key; lists them', async () => {
    expect(cli('cell', 'create', 'reading-group', '--name', 'Reading group', '--principle', 'Read first.', '--principle', 'Then argue.')).toMatchObject({ code: 0, out: 'created cell reading-group (2 principles)\n' })
    expect(cli('board', 'create', 'reading-group', 'inner', '--name', 'Inner', '--visibility', 'members', '--retention-days', '30').code).toBe(0)
    expect(cli('cell', 'list').out).toContain('reading-group\tReading group')
    expect(cli('board', 'list', 'reading-group').out).toBe('inner\tread: member\tpost: member\t30\tInner\n')
    const key = await generateDisposableKey(new Date())
    const file = join(dataDir, 'key.asc')
    writeFileSync(file, key.armoredPublic)
    const added = cli('roster', 'add', 'reading-group', file, '--role', 'voter')
    expect(added.code).toBe(0)
    expect(added.out).toContain(`${key.fingerprint} is now voter of reading-group`)
    expect(cli('roster', 'list', 'reading-group').out).toContain(`${key.fingerprint}\tvoter`)
  })

  // Each CLI run starts a process (2–4 s here, more on a busy machine): these two tests run ten.
  it('names a cell’s tiers, puts a key at one, and sets who reads and posts on a board', async () => {
    expect(cli('cell', 'create', 'study', '--name', 'Study').code).toBe(0)
    expect(cli('cell', 'tiers', 'study', 'supporter,member,cadre', '--vote', 'cadre', '--inbox', 'cadre')).toMatchObject({ code: 0, out: 'tiers of study: supporter < member < cadre; cadre and up vote, cadre and up read letters\n' })
    expect(cli('board', 'create', 'study', 'wide', '--name', 'Wide', '--read', 'supporter', '--post', 'member').code).toBe(0)
    expect(cli('board', 'tiers', 'study', 'wide', 'anyone', 'member')).toMatchObject({ code: 0, out: 'study/wide is read by anyone and up, posted to by member and up\n' })
    const key = await generateDisposableKey(new Date())
    const file = join(dataDir, 'cadre.asc')
    writeFileSync(file, key.armoredPublic)
    expect(cli('roster', 'add', 'study', file, '--tier', 'cadre').out).toContain(`${key.fingerprint} is now cadre of study`)
    expect(cli('board', 'list', 'study').out).toBe('wide\tread: anyone\tpost: member\t-\tWide\n')
  }, 240_000)

  it('refuses tiers that would change access unseen, or that the cell does not have', async () => {
    expect(cli('cell', 'create', 'circle', '--name', 'Circle').code).toBe(0)
    expect(cli('board', 'create', 'circle', 'inner', '--name', 'Inner', '--read', 'member').code).toBe(0)
    const refused: [string[], RegExp][] = [
      [['cell', 'tiers', 'circle', 'voter'], /The tier member still is held by a roster key or named by a board; move them first/],
      [['board', 'tiers', 'circle', 'inner', 'voter', 'member'], /Nobody may post where they cannot read/],
      [['board', 'tiers', 'circle', 'inner', 'boss'], /"boss" is not one of the cell’s tiers \(member < voter\)/],
    ]
    for (const [args, message] of refused) {
      const r = cli(...args)
      expect(r.code, args.join(' ')).not.toBe(0)
      expect(r.err, args.join(' ')).toMatch(message)
    }
    expect(cli('board', 'list', 'circle').out).toBe('inner\tread: member\tpost: member\t-\tInner\n')
  }, 240_000)

  it('errors go to stderr with a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['cell', 'create', 'Bad Slug', '--name', 'x'], /Use 1–32 lowercase letters/],
      [['cell', 'create', 'nameless'], /needs --name/],
      [['board', 'create', 'no-such-cell', 'b', '--name', 'B'], /That cell does not exist/],
      [['board', 'list', 'no-such-cell'], /That cell does not exist/],
      [['roster', 'add', 'lobby', '/no/such/file', '--role', 'member'], /no such file/],
      [['frobnicate', 'now'], /unknown command/],
    ]
    expect(cli('cell', 'create', 'twice', '--name', 'T').code).toBe(0)
    cases.push([['cell', 'create', 'twice', '--name', 'T'], /already exists/])
    for (const [args, message] of cases) {
      const r = cli(...args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err, args.join(' ')).toMatch(message)
      expect(r.out).toBe('')
    }
  })

  it('refuses a private key pasted as a roster key', async () => {
    const key = await generateDisposableKey(new Date())
    const file = join(dataDir, 'secret.asc')
    writeFileSync(file, key.armoredPrivate)
    expect(cli('cell', 'create', 'keys', '--name', 'Keys').code).toBe(0)
    const r = cli('roster', 'add', 'keys', file, '--role', 'member')
    expect(r.code).toBe(1)
    expect(r.err).toContain('That is a private key')
  })
})

describe('npm run cellboard -- post/thread remove, purge', () => {
  it('refuses an unknown post or thread, or a malformed number, on stderr with exit 1', () => {
    expect(cli('cell', 'create', 'removals', '--name', 'Removals').code).toBe(0)
    expect(cli('board', 'create', 'removals', 'general', '--name', 'General').code).toBe(0)
    const cases: [string[], RegExp][] = [
      [['post', 'remove', 'removals', 'general', '999', '1'], /That post does not exist/],
      [['thread', 'remove', 'removals', 'general', '999'], /That thread does not exist/],
      [['post', 'remove', 'removals', 'general', 'x', '1'], /THREAD is a positive whole number/],
      [['thread', 'remove', 'removals'], /takes CELL BOARD THREAD/],
      [['purge', 'now'], /unknown command/],
    ]
    for (const [args, message] of cases) {
      const r = cli(...args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err, args.join(' ')).toMatch(message)
    }
  })

  it('purge reports what it forgot and that the checkpoint finished', () => {
    const r = cli('purge')
    expect(r.code).toBe(0)
    // The operator's purge always finishes forgetting: SQLite checkpoints once; PostgreSQL first
    // waits out transactions older than the purge anywhere on the server (other tests' included),
    // polling, so its count of attempts varies.
    const attempts = TEST_DIALECT === 'postgres' ? '(1 attempt|([2-9]|[1-9]\\d+) attempts)' : '1 attempt'
    expect(r.out).toMatch(new RegExp(`^purged: 0 threads past retention, 0 keys that sign nothing; checkpointed in [\\d,]+ ms \\(${attempts}\\)\n$`))
  })
})

describe('npm run cellboard -- board flood, cell flood-exempt', () => {
  it('sets a board’s flood mode and a cell’s roster exemption, logs each in the decision log, and a running server’s pages follow', async () => {
    // A server over the same database, watching for the CLI's writes as a real one does; its first
    // start makes the lobby cell and its general board (fewer CLI runs: each is a second of start-up).
    const server = await openDeps(loadConfig({ ...TEST_SETTINGS, DATA_DIR: dataDir, ...env }), { watch: true, forgetAfterMigrating: false })
    try {
      await ensureDefaultCell(server.deps)
      const app = createApp(server.deps)
      const banner = async () => /class="notice flood"/.test(await (await app.request('/c/lobby/general')).text())
      /** The server hears of the CLI's write within a second or so (SQLite polls once a second). */
      const eventually = async (want: boolean) => {
        for (let i = 0; i < 50 && (await banner()) !== want; i++) await new Promise((r) => setTimeout(r, 100))
        return banner()
      }
      expect(await banner()).toBe(false)
      expect(await banner()).toBe(false) // kept whole in the server's cache now

      expect(cli('board', 'flood', 'lobby', 'general', 'on')).toMatchObject({ code: 0, out: 'flood mode of lobby/general is on\n' })
      expect(await eventually(true)).toBe(true)
      expect(cli('board', 'flood', 'lobby', 'general', 'off')).toMatchObject({ code: 0, out: 'flood mode of lobby/general is off\n' })
      expect(await eventually(false)).toBe(false)
      expect(cli('board', 'flood', 'lobby', 'general', 'auto').code).toBe(0)
      expect(cli('cell', 'flood-exempt', 'lobby', 'no')).toMatchObject({ code: 0, out: 'keys on the roster of lobby pay the same check as everyone while a board is in flood\n' })

      const { board, cell } = await server.deps.db.selectFrom('board').innerJoin('cell', 'cell.id', 'board.cell_id').select(['board.flood as board', 'cell.flood_exempt_roster as cell']).where('board.slug', '=', 'general').executeTakeFirstOrThrow()
      expect({ board, cell }).toEqual({ board: 'auto', cell: 0 })
      const log = (await server.deps.db.selectFrom('operator_action').select('action').orderBy('id').execute()).map((a) => a.action)
      expect(log.slice(-4)).toEqual([
        'set flood mode on the board "general" to on (every post there asks for a check)',
        'set flood mode on the board "general" to off (never in flood)',
        'set flood mode on the board "general" to auto (in flood while its posts per minute pass the threshold)',
        'asked keys on the roster for the same check as everyone while a board is in flood',
      ])
    } finally {
      await server.close()
    }
  })

  it('refuses a setting it does not know, or an unknown cell, on stderr with exit 1', () => {
    // (An unknown board is refused as createBoard's neighbours are: tests/http/flood.test.ts.)
    const cases: [string[], RegExp][] = [
      [['board', 'flood', 'nowhere', 'general', 'always'], /Flood mode is "auto", "on" or "off"/],
      [['board', 'flood', 'nowhere', 'general'], /board flood takes CELL BOARD auto\|on\|off/],
      [['cell', 'flood-exempt', 'nowhere', 'maybe'], /cell flood-exempt takes CELL yes\|no/],
      [['cell', 'flood-exempt', 'nowhere', 'yes'], /That cell does not exist/],
    ]
    for (const [args, message] of cases) {
      const r = cli(...args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err, args.join(' ')).toMatch(message)
      expect(r.out).toBe('')
    }
  })
})
