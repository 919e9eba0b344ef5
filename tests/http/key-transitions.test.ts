import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { groupedFingerprint } from '../../src/domain/letters.ts'
import { coarseTime } from '../../src/domain/time.ts'
import { addRosterKey, createBoard, createCell, removeRosterKey } from '../../src/services/cells.ts'
import { rotateCellKey } from '../../src/services/key-transitions.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { clearsignWith } from '../support/keys.ts'
import { cellKeyPair, withCellKey } from '../support/letters.ts'

// The cell key's rotation as the pages show it: the transitions page, and the cell page's notice
// that a rotation is owed after a key left the roster (by a decision, or the operator), until the
// key is rotated. Keys and statements are made with openpgp here; tests/gpg/key-transitions.test.ts
// does the same with GnuPG.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
})
afterEach(() => board.close())

const NOTICE = 'The cell key should be rotated.'
const due = async (cell = 'lobby') => (await board.column('select key_rotation_due from cell where slug = ?', cell))[0]

/** A voter with a disposable identity, and its fingerprint. */
async function voter(): Promise<{ c: Client; fpr: string }> {
  const c = board.client()
  const fpr = await c.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: 'voter' })
  return { c, fpr }
}

async function voteYes(c: Client, q: string) {
  await c.get(q)
  expect((await c.post(`${q}/ballot`, { choice: 'yes' })).res.status).toBe(200)
  expect((await c.post(`${q}/ballot`, { choice: 'yes', confirm: 'yes' })).res.status).toBe(303)
}

/** Rotate the cell key to a new pair, with a statement the current pair clearsigned. */
async function rotate(current: { privateKey: string }, cell = 'lobby') {
  const next = await cellKeyPair()
  const statement = await clearsignWith(current.privateKey, `The key of the cell "${cell}" changes.\nNew key: ${groupedFingerprint(next.fingerprint)}\n`)
  await rotateCellKey(board.deps, { cell, armoredKey: next.publicKey, statement })
  return next
}

describe('a rotation owed after a key leaves the roster', () => {
  it('a decision removing a roster key makes the cell page ask the operator to rotate the cell key, to every reader, until it is rotated', async () => {
    const key = await withCellKey(board)
    const [a, b, c] = [await voter(), await voter(), await voter()]
    const reader = board.client()
    expect((await reader.get('/c/lobby')).text).not.toContain(NOTICE)

    await a.c.get('/c/lobby/questions/new?kind=remove_key')
    const raised = await a.c.post('/c/lobby/questions', { kind: 'remove_key', fingerprint: c.fpr, argument: 'Left the cell.' })
    const q = raised.res.headers.get('location')!
    const coarse = (t: number) => coarseTime(t, board.deps.config.timeGranularityMs)
    const before = coarse(Date.now())
    await voteYes(a.c, q)
    await voteYes(b.c, q)
    expect(await board.count('roster_entry')).toBe(2)
    // The decision's own coarse time (a coarse step may have begun meanwhile).
    expect([before, coarse(Date.now())]).toContain(await due())

    for (const viewer of [reader, a.c]) {
      const page = await viewer.get('/c/lobby')
      expect(page.text).toContain(NOTICE)
      expect(page.text).toContain('<code>npm run cellboard -- cell key rotate lobby --new FILE --statement FILE</code>')
    }
    // A second removal keeps the time the rotation was first owed.
    await board.deps.db.updateTable('cell').set({ key_rotation_due: '2026-01-01T00:00:00.000Z' }).execute()
    await removeRosterKey(board.deps, { cell: 'lobby', fingerprint: b.fpr })
    expect(await due()).toBe('2026-01-01T00:00:00.000Z')

    await rotate(key)
    expect(await due()).toBeNull()
    expect((await reader.get('/c/lobby')).text).not.toContain(NOTICE)
  })

  it('the operator’s roster remove owes a rotation too, but only in a cell that has a key; an unknown key is refused and changes nothing; a new key set settles it', async () => {
    const a = await voter()
    const b = await voter()
    // No key: nothing to rotate, and no notice.
    await removeRosterKey(board.deps, { cell: 'lobby', fingerprint: a.fpr })
    expect(await due()).toBeNull()
    expect((await board.client().get('/c/lobby')).text).not.toContain(NOTICE)

    const key = await withCellKey(board)
    const actions = await board.count('operator_action')
    await expect(removeRosterKey(board.deps, { cell: 'lobby', fingerprint: a.fpr })).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/is not on the roster of lobby/) })
    await expect(removeRosterKey(board.deps, { cell: 'lobby', fingerprint: 'not-hex' })).rejects.toMatchObject({ status: 422 })
    expect(await due()).toBeNull()
    expect(await board.count('operator_action')).toBe(actions)

    // Given as gpg prints it: in groups, upper-case.
    expect(await removeRosterKey(board.deps, { cell: 'lobby', fingerprint: groupedFingerprint(b.fpr) })).toEqual({ rotationDue: true })
    expect(await board.count('roster_entry')).toBe(0)
    expect(await board.column('select action from operator_action order by id desc limit 1')).toEqual([`removed the key ${b.fpr} from the roster`])
    expect((await board.client().get('/c/lobby')).text).toContain(NOTICE)

    // The same key set again settles nothing; another key does.
    await setCellKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey })
    expect(await due()).not.toBeNull()
    await setCellKey(board.deps, { cell: 'lobby', armoredKey: (await cellKeyPair()).publicKey })
    expect(await due()).toBeNull()
  })
})

describe('/c/:cell/key-transitions', () => {
  it('lists every transition newest first, each with its old key and statement; before any, says so', async () => {
    const reader = board.client()
    const first = await withCellKey(board)
    const none = await reader.get('/c/lobby/key-transitions')
    expect(none.res.status).toBe(200)
    expect(none.text).toContain('there is no earlier key')
    expect(none.text).toContain(groupedFingerprint(first.fingerprint))

    const second = await rotate(first)
    const third = await rotate(second)
    const page = await reader.get('/c/lobby/key-transitions')
    expect(page.text).not.toContain('there is no earlier key')
    expect(page.text.indexOf('<h2>Transition 2')).toBeLessThan(page.text.indexOf('<h2>Transition 1'))
    expect(page.text).toContain(`${groupedFingerprint(second.fingerprint)}</code> was replaced by <code class="fpr-grouped" dir="ltr">${groupedFingerprint(third.fingerprint)}`)
    // In Arabic the sentence is Arabic's own, the new key named first as it reads right to left,
    // each fingerprint isolated left to right (an arrow between them read the wrong way round).
    const arabic = board.client()
    await arabic.request('/lang?to=ar&next=/c/lobby/key-transitions')
    const ar = (await arabic.get('/c/lobby/key-transitions')).text
    expect(ar).toContain(`حلّ <code class="fpr-grouped" dir="ltr">${groupedFingerprint(third.fingerprint)}</code> محلّ <code class="fpr-grouped" dir="ltr">${groupedFingerprint(second.fingerprint)}</code>`)
    expect(ar).not.toContain('→')
    for (const [n, old] of [[1, first], [2, second]] as const) {
      const res = await reader.request(`/c/lobby/key-transitions/${n}/key.asc`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="lobby-key-transition-${n}-old-key.asc"`)
      expect(await res.text()).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
      const statement = await reader.request(`/c/lobby/key-transitions/${n}/statement.asc`)
      expect(statement.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await statement.text()).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\n[\s\S]*\n-----END PGP SIGNATURE-----\n?$/)
      expect(page.text).toContain(`<code class="fpr-grouped" dir="ltr">${groupedFingerprint(old.fingerprint)}</code> was replaced by `)
    }
    expect((await reader.get('/c/lobby/key.asc')).text).toBe((await board.column("select key_armored from cell where slug = 'lobby'"))[0])
  })

  it('a statement’s text is shown as text, never as markup', async () => {
    const key = await withCellKey(board)
    const next = await cellKeyPair()
    const statement = await clearsignWith(key.privateKey, `<script>alert(1)</script> <b>New key</b>: ${next.fingerprint}\n`)
    await rotateCellKey(board.deps, { cell: 'lobby', armoredKey: next.publicKey, statement })
    const page = await board.client().get('/c/lobby/key-transitions')
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;New key&lt;/b&gt;')
    expect(page.text).not.toContain('<script>alert')
  })

  it('an unknown transition, or cell, is a 404; key-transitions names no board', async () => {
    const reader = board.client()
    for (const path of ['/c/lobby/key-transitions/1/key.asc', '/c/lobby/key-transitions/1/statement.asc', '/c/lobby/key-transitions/0/key.asc', '/c/lobby/key-transitions/x/key.asc', '/c/nowhere/key-transitions']) {
      expect((await reader.request(path)).status, path).toBe(404)
    }
    await createCell(board.deps, { slug: 'other', name: 'Other', principles: [] })
    expect((await reader.get('/c/other/key-transitions')).res.status).toBe(200)
    await expect(createBoard(board.deps, { cell: 'lobby', slug: 'key-transitions', name: 'K', description: '', retentionDays: null })).rejects.toMatchObject({ status: 422 })
  })

  it('/privacy says what a rotation publishes, and lists its table and the owed rotation as published', async () => {
    const { text } = await board.client().get('/privacy')
    expect(text).toContain('A new key is published only with a statement the old key signed naming it')
    expect(text).toContain('<h3><code>cell_key_transition</code></h3>')
    expect(text).toMatch(/<td><code>key_rotation_due<\/code><\/td><td>published<\/td>/)
  })
})
