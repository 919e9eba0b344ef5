import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { createBoard } from '../../src/services/cells.ts'
import { cliBoard } from '../support/cli-board.ts'

// npm run cellboard -- board indexable CELL BOARD yes|no (issue 14): whether a board asks search
// engines to index it; no at first; logged in the cell's public decision log.
const { cli, withDeps } = cliBoard('cellboard-indexable-')

describe('npm run cellboard -- board indexable', () => {
  it('sets and unsets it, logs each in the decision log, and robots.txt follows', async () => {
    await withDeps((deps) => createBoard(deps, { cell: 'lobby', slug: 'general', name: 'General', description: '', retentionDays: null }))
    const robots = () => withDeps(async (deps) => (await createApp(deps).request('/robots.txt')).text())
    expect(await robots()).not.toContain('/c/lobby/general')

    expect(cli('board', 'indexable', 'lobby', 'general', 'yes')).toMatchObject({ code: 0, out: 'lobby/general asks search engines to index it\n' })
    expect(await robots()).toContain('Allow: /c/lobby/general/')
    expect(cli('board', 'indexable', 'lobby', 'general', 'no')).toMatchObject({ code: 0, out: 'lobby/general asks search engines not to index it\n' })
    expect(await robots()).not.toContain('/c/lobby/general')

    const log = await withDeps(async (deps) => (await deps.db.selectFrom('operator_action').select('action').orderBy('id').execute()).map((a) => a.action))
    expect(log.slice(-2)).toEqual(['asked search engines to index the board "general"', 'asked search engines not to index the board "general"'])
  })

  it('refuses a members-only board, an unknown answer or board, on stderr with exit 1', async () => {
    await withDeps((deps) => createBoard(deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null }))
    const cases: [string[], RegExp][] = [
      [['board', 'indexable', 'lobby', 'inner', 'yes'], /only a board anyone reads can ask to be indexed/],
      [['board', 'indexable', 'lobby', 'inner', 'maybe'], /board indexable takes CELL BOARD yes\|no/],
      [['board', 'indexable', 'lobby', 'nowhere', 'yes'], /That board does not exist/],
    ]
    for (const [args, message] of cases) {
      const r = cli(...args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err, args.join(' ')).toMatch(message)
      expect(r.out).toBe('')
    }
    const indexed = await withDeps((deps) => deps.db.selectFrom('board').select('indexable').where('slug', '=', 'inner').executeTakeFirstOrThrow())
    expect(indexed.indexable).toBe(0)
  })
})
