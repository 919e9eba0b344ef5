import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findCell } from '../../src/db/cells.ts'
import { tierOf } from '../../src/db/roster.ts'
import { pseudonymOf } from '../../src/domain/pseudonym.ts'
import { ballotText, type Choice } from '../../src/domain/questions.ts'
import { addRosterKey, createBoard, createCell, listCellRoster } from '../../src/services/cells.ts'
import { removePost } from '../../src/services/forget.ts'
import { closeQuestion } from '../../src/services/questions/decide.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { clearsignWith, heldKey, logInWith, unescape } from '../support/keys.ts'

// The kinds of line question other than "remove a post", each end to end through HTTP with real
// signed ballots: raised, voted on, decided, and then what the published pages and the database show.

let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now() // keys made now must be valid "now"
  board = await makeBoard({}, () => now)
})
afterEach(() => board.close())

const count = (table: string, where = '', ...params: unknown[]) => board.count(table, where, ...params)
const idOf = (location: string) => Number(location.split('/').pop())
const lobbyId = async () => (await findCell(board.deps.db, 'lobby'))!.id

type HeldKey = Awaited<ReturnType<typeof heldKey>>
/** A voter: a client with a session, and either a held key (pastes clearsigned ballots) or a disposable one. */
type Voter = { c: Client; fpr: string; key?: HeldKey }

/** A disposable identity put on the lobby's roster by the operator. */
async function disposableOnRoster(role: 'voter' | 'member' = 'voter'): Promise<Voter> {
  const c = board.client()
  const fpr = await c.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: role })
  return { c, fpr }
}

/** A key held by a person (as GnuPG holds it), logged in; on the roster only if a role is given. */
async function heldKeyVoter(role: 'voter' | 'member' | null = 'voter'): Promise<Voter> {
  const key = await heldKey()
  const c = board.client()
  await logInWith(c, key, 'gpg')
  if (role) await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: role })
  return { c, fpr: key.fingerprint, key }
}

/** Three voters, two kinds of key: a disposable identity and two held keys. */
async function threeVoters() {
  return { disposable: await disposableOnRoster(), gpg: await heldKeyVoter(), other: await heldKeyVoter() }
}

async function raise(c: Client, fields: Record<string, string>) {
  await c.get(`/c/lobby/questions/new?kind=${fields.kind}`)
  return c.post('/c/lobby/questions', fields)
}

/** Raise, expecting the question to open; its id. */
async function raised(c: Client, fields: Record<string, string>): Promise<number> {
  const r = await raise(c, fields)
  expect(r.res.status, /role="alert">([^<]*)/.exec(r.text)?.[1]).toBe(303)
  return idOf(r.res.headers.get('location')!)
}

const ballotFor = (q: number, choice: Choice, line = 1) => ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line, choice })

/** Cast a real signed ballot the way this voter's key allows: confirm-then-sign, or paste a clearsigned text. */
async function vote(v: Voter, q: number, choice: Choice, line = 1) {
  await v.c.get(`/c/lobby/questions/${q}`)
  if (v.key) return v.c.post(`/c/lobby/questions/${q}/ballot`, { signed: await clearsignWith(v.key.privateKey, ballotFor(q, choice, line)) })
  const review = await v.c.post(`/c/lobby/questions/${q}/ballot`, { choice })
  if (review.res.status !== 200) return review
  expect(unescape(review.text)).toContain(ballotFor(q, choice, line))
  return v.c.post(`/c/lobby/questions/${q}/ballot`, { choice, confirm: 'yes' })
}

async function voteOk(v: Voter, q: number, choice: Choice, line = 1) {
  const r = await vote(v, q, choice, line)
  expect(r.res.status, /role="alert">([^<]*)/.exec(r.text)?.[1]).toBe(303)
}

const questionPage = async (q: number) => (await board.client().get(`/c/lobby/questions/${q}`)).text
const decisionLog = async () => unescape((await board.client().get('/c/lobby/decisions')).text)
const statusOf = async (q: number) => (await board.column('select status from question where id = ?', q))[0]

async function postSomething() {
  const poster = board.client()
  await poster.takeIdentity()
  await poster.get('/c/lobby/general')
  const thread = (await poster.post('/c/lobby/general', { title: 'A thread', body: `Something to question ${randomBytes(4).toString('hex')}` })).res.headers.get('location')!
  return { poster, threadId: thread.split('/').pop()! }
}

describe('admit a key to the roster', () => {
  it('adopted as voter: the key is on the roster as voter and may vote on a question opened afterwards', async () => {
    const v = await threeVoters()
    const newcomer = await heldKeyVoter(null)
    // Only the roster raises this kind: the newcomer itself may not ask to be admitted.
    expect((await raise(newcomer.c, { kind: 'admit_key', public_key: newcomer.key!.publicKey, role: 'voter', argument: 'Let me in.' })).res.status).toBe(403)
    expect(await count('question')).toBe(0)

    const q = await raised(v.gpg.c, { kind: 'admit_key', public_key: newcomer.key!.publicKey, role: 'voter', argument: 'Has worked with us for a year.' })
    const open = await questionPage(q)
    expect(open).toContain(`Admit the key <code class="fpr">${newcomer.fpr}</code> to the roster at the tier <b>voter</b>.`)
    // Raising it admits nobody.
    expect(await tierOf(board.deps.db, await lobbyId(), newcomer.fpr)).toBeNull()

    await voteOk(v.disposable, q, 'yes')
    await voteOk(v.other, q, 'yes')
    const decided = await questionPage(q)
    expect(decided).toContain('Decision: Adopted')
    expect(decided).toContain('Yes 2, no 0, abstain 0, of 3 eligible voters (quorum 2)')
    expect(await tierOf(board.deps.db, await lobbyId(), newcomer.fpr)).toBe('voter')
    const roster = await listCellRoster(board.deps, 'lobby')
    expect(roster.map((r) => [r.fingerprint, r.tier])).toContainEqual([newcomer.fpr, 'voter'])
    expect(roster).toHaveLength(4)
    expect(await decisionLog()).toMatch(new RegExp(`Decision ${q}</a>: Admit a key to the roster — <b>adopted</b>`))

    // A question opened after the decision counts the newcomer among its voters, and takes its ballot.
    const { threadId } = await postSomething()
    const later = await raised(v.gpg.c, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'Off the line.' })
    const page = await newcomer.c.get(`/c/lobby/questions/${later}`)
    expect(page.text).toContain('<b>0</b> of 4 ballots cast so far')
    expect(page.text).toContain(`action="/c/lobby/questions/${later}/ballot"`)
    await voteOk(newcomer, later, 'no')
    expect(await board.column('select k.fingerprint from ballot b join public_key k on k.id = b.key_id where b.question_id = ?', later)).toEqual([newcomer.fpr])
    expect(await board.column('select choice from ballot where question_id = ?', later)).toEqual(['no'])
  })

  it('adopted as member: the key is on the roster as member, may raise roster-only questions, but is not a voter', async () => {
    const v = await threeVoters()
    const newcomer = await heldKeyVoter(null)
    const q = await raised(v.gpg.c, { kind: 'admit_key', public_key: newcomer.key!.publicKey, role: 'member', argument: 'Reads and writes with us.' })
    expect(await questionPage(q)).toContain(`to the roster at the tier <b>member</b>.`)
    await voteOk(v.other, q, 'yes')
    await voteOk(v.disposable, q, 'yes')
    expect(await questionPage(q)).toContain('Decision: Adopted')

    expect(await tierOf(board.deps.db, await lobbyId(), newcomer.fpr)).toBe('member')
    expect((await listCellRoster(board.deps, 'lobby')).map((r) => [r.fingerprint, r.tier])).toContainEqual([newcomer.fpr, 'member'])

    // A member is on the roster: it may now raise a kind reserved to the roster...
    const amendment = await raised(newcomer.c, { kind: 'amend_line', change: 'add', text: 'Members may raise this.', argument: 'Testing membership.' })
    // ...but the voters are still the three voters, and the member's ballot is refused.
    expect(await board.column('select eligible from question where id = ?', amendment)).toEqual([3])
    const before = await count('ballot')
    expect((await vote(newcomer, amendment, 'yes')).res.status).toBe(403)
    expect(await count('ballot')).toBe(before)
  })
})

describe('eligible voters are the roster’s voters when the question opened', () => {
  it('a voter put on the roster after a question opened gets 403 on its ballot, and nothing is stored', async () => {
    const v = await threeVoters()
    const { threadId } = await postSomething()
    const q = await raised(v.gpg.c, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'Opened before the newcomers.' })
    await voteOk(v.disposable, q, 'yes') // one ballot already there, so "nothing stored" is not "nothing at all"

    // Two voters join after it opened: one with a held key, one with a disposable identity.
    const lateHeld = await heldKeyVoter('voter')
    const lateDisposable = await disposableOnRoster('voter')
    expect(await tierOf(board.deps.db, await lobbyId(), lateHeld.fpr)).toBe('voter')
    expect(await tierOf(board.deps.db, await lobbyId(), lateDisposable.fpr)).toBe('voter')

    const page = await lateHeld.c.get(`/c/lobby/questions/${q}`)
    expect(page.text).toContain('<b>1</b> of 3 ballots cast so far')
    expect(page.text).not.toContain(`action="/c/lobby/questions/${q}/ballot"`)

    expect((await vote(lateHeld, q, 'yes')).res.status).toBe(403)
    const review = await vote(lateDisposable, q, 'yes')
    expect(review.res.status).toBe(403)
    await lateDisposable.c.get(`/c/lobby/questions/${q}`)
    expect((await lateDisposable.c.post(`/c/lobby/questions/${q}/ballot`, { choice: 'yes', confirm: 'yes' })).res.status).toBe(403)

    expect(await count('ballot', 'where question_id = ?', q)).toBe(1)
    expect(await statusOf(q)).toBe('open') // two more yes would have adopted it
    // On a question opened now, they are voters.
    const next = await raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'Newcomers vote from now on.', argument: 'x' })
    expect(await board.column('select eligible from question where id = ?', next)).toEqual([5])
    await voteOk(lateHeld, next, 'yes')
  })

  // A key that may not vote gets no ballot form; the refusal's reason shows all the same.
  it('the refused late voter is told why', async () => {
    const v = await threeVoters()
    const q = await raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'Opened before the newcomer.', argument: 'x' })
    const late = await heldKeyVoter('voter')
    const r = await vote(late, q, 'yes')
    expect(r.res.status).toBe(403)
    expect(unescape(r.text)).toContain('Your key is not among this question’s voters')
  })
})

describe('amend the line: replace a principle', () => {
  it('the line page shows the new version with the replaced text and keeps the earlier one; a later question cites the new text', async () => {
    const v = await threeVoters()
    const oldText = 'Nothing here asks who anyone is.'
    const newText = `Nobody here asks for names or places ${randomBytes(3).toString('hex')}.`
    const q = await raised(v.gpg.c, { kind: 'amend_line', change: 'replace', principle: '2', text: newText, argument: 'Say it plainer.' })
    expect(await questionPage(q)).toContain(`Replace principle 2 with: <q>${newText}</q>`)
    // Nothing changes before the decision.
    expect((await board.client().get('/c/lobby/line')).text).not.toContain(newText)

    await voteOk(v.disposable, q, 'yes')
    await voteOk(v.other, q, 'yes')
    expect(await questionPage(q)).toContain('Decision: Adopted')

    const line = (await board.client().get('/c/lobby/line')).text
    const sections = line.split('<section class="line-version">').slice(1)
    expect(sections).toHaveLength(2)
    const [v2, v1] = sections as [string, string]
    expect(v2).toContain('<h2>Version 2 (current)</h2>')
    expect(v2).toContain(`by <a href="/c/lobby/questions/${q}">decision ${q}</a>`)
    expect(v2).toContain('<li value="1">Say what you mean; argue with what is said, not with who said it.</li>')
    expect(v2).toContain(`<li value="2">${newText}</li>`)
    expect(v2).not.toContain(oldText)
    expect(v2.match(/<li value=/g)).toHaveLength(2) // replaced, not added
    expect(v1).toContain('<h2>Version 1</h2>')
    expect(v1).toContain('as the operator set it up')
    expect(v1).toContain(`<li value="2">${oldText}</li>`)
    expect(v1).not.toContain(newText)

    // A question raised now is asked under version 2 and cites the new text of principle 2.
    const { threadId } = await postSomething()
    const removal = await raised(v.gpg.c, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '2', argument: 'Asks where someone lives.' })
    const page = await questionPage(removal)
    expect(page).toContain(`<blockquote class="principle">2. <bdi>${newText}</bdi></blockquote>`)
    expect(page).toContain('Asked under line version 2')
    expect(page).not.toContain(oldText)
    expect(await board.column('select line_version from question where id = ?', removal)).toEqual([2])
    // Its ballots are bound to line 2: one signed for line 1 is refused.
    const stale = await vote(v.gpg, removal, 'yes', 1)
    expect(stale.res.status).toBe(422)
    expect(unescape(stale.text)).toContain('signed for line 1')
    await voteOk(v.gpg, removal, 'yes', 2)
    await voteOk(v.disposable, removal, 'yes', 2)
    expect(await questionPage(removal)).toContain('Decision: Adopted')
  })
})

describe('amendments raised under an older line', () => {
  // An amendment names a principle of the line it was raised under; another amendment may close
  // first. It must apply to that principle as it read, not to whatever now has its number.
  it('a second removal of the same principle does not remove another one', async () => {
    const v = await threeVoters()
    const kept = 'Nothing here asks who anyone is.'
    const first = await raised(v.gpg.c, { kind: 'amend_line', change: 'remove', principle: '1', text: '', argument: 'Too wordy.' })
    const second = await raised(v.other.c, { kind: 'amend_line', change: 'remove', principle: '1', text: '', argument: 'Too wordy, I said so too.' })
    expect(await questionPage(second)).toContain('Remove principle 1 from the line.')
    for (const q of [first, second]) {
      await voteOk(v.disposable, q, 'yes')
      await voteOk(v.gpg, q, 'yes')
    }
    expect(await statusOf(second)).toBe('closed')
    const current = (await board.client().get('/c/lobby/line')).text.split('<section class="line-version">')[1]!
    expect(current).not.toContain('Say what you mean')
    expect(current).toContain(kept)
    // Each decision page says what became of the line.
    expect(await questionPage(first)).toContain('It made <a href="/c/lobby/line">version 2 of the line</a>.')
    expect(unescape(await questionPage(second))).toContain('The principle it named had already been changed by an earlier decision, so the line was left as it was.')
  })
})

describe('two amendments closing at the same moment', () => {
  it('both are carried out, one version after the other, with no error', async () => {
    const v = await threeVoters()
    const texts = [`First addition ${randomBytes(3).toString('hex')}.`, `Second addition ${randomBytes(3).toString('hex')}.`]
    const qs: number[] = []
    for (const text of texts) {
      const q = await raised(v.gpg.c, { kind: 'amend_line', change: 'add', text, argument: 'x' })
      // One yes and one abstention: quorum is met, the third voter could still sink it, so it
      // stays open until its deadline, and is then adopted.
      await voteOk(v.disposable, q, 'yes')
      await voteOk(v.other, q, 'abstain')
      qs.push(q)
    }
    for (const q of qs) expect(await statusOf(q)).toBe('open')
    now += 73 * 3600_000
    const due = await board.deps.db.selectFrom('question').selectAll().where('id', 'in', qs).execute()
    const outcomes = await Promise.all(due.map((q) => closeQuestion(board.deps, q)))
    expect(outcomes).toEqual(['adopted', 'adopted'])
    const versions = await board.column('select version from line where cell_id = ? order by version', await lobbyId())
    expect(versions.map(Number)).toEqual([1, 2, 3])
    const current = (await board.client().get('/c/lobby/line')).text.split('<section class="line-version">')[1]!
    for (const text of texts) expect(current).toContain(text)
  })
})

describe('recognise another cell as fraternal, and withdraw the recognition', () => {
  it('adopted: the decision log lists the fraternal cell; withdrawn by fingerprint: it is gone', async () => {
    const v = await threeVoters()
    const cellKey = await heldKey()
    const location = 'https://east.example/c/lobby'
    const q = await raised(v.gpg.c, { kind: 'recognise_cell', name: 'Eastside', location, public_key: cellKey.publicKey, argument: 'We share a line.' })
    expect(await questionPage(q)).toContain(`Recognise <b>Eastside</b> (<code>${location}</code>, key <code class="fpr">${cellKey.fingerprint}</code>) as a fraternal cell.`)
    expect(await decisionLog()).not.toContain('Fraternal cells')

    await voteOk(v.other, q, 'yes')
    await voteOk(v.disposable, q, 'yes')
    let log = await decisionLog()
    expect(log).toMatch(new RegExp(`Decision ${q}</a>: Recognise another cell as fraternal — <b>adopted</b>`))
    expect(log).toContain('<h2>Fraternal cells</h2>')
    expect(log).toContain(`<li>Eastside <code>${location}</code> <code class="fpr">${cellKey.fingerprint}</code></li>`)
    expect(await board.column('select question_id from fraternal_cell')).toEqual([q])

    // Withdrawn by its fingerprint, written as gpg shows it (upper case, in groups).
    const shown = cellKey.fingerprint.toUpperCase().replace(/(.{4})/g, '$1 ').trim()
    const w = await raised(v.disposable.c, { kind: 'withdraw_recognition', fingerprint: shown, argument: 'They left the line.' })
    expect(await questionPage(w)).toContain(`Withdraw the recognition of <b>Eastside</b> (key <code class="fpr">${cellKey.fingerprint}</code>).`)
    // Still recognised while the question is open.
    expect(await decisionLog()).toContain(cellKey.fingerprint)
    await voteOk(v.gpg, w, 'yes')
    await voteOk(v.other, w, 'yes')
    log = await decisionLog()
    expect(log).toMatch(new RegExp(`Decision ${w}</a>: Withdraw a recognition — <b>adopted</b>`))
    expect(log).not.toContain('Fraternal cells')
    expect(log).not.toContain(cellKey.fingerprint)
    expect(await count('fraternal_cell')).toBe(0)
  })

  it('refuses a location that is not http(s), and withdrawing a cell never recognised: 422, nothing stored', async () => {
    const v = await threeVoters()
    const cellKey = await heldKey()
    for (const location of ['ftp://east.example/c/lobby', 'javascript:alert(1)', 'east.example', 'https://east.example/"><script>']) {
      const r = await raise(v.gpg.c, { kind: 'recognise_cell', name: 'Eastside', location, public_key: cellKey.publicKey, argument: 'x' })
      expect(r.res.status, location).toBe(422)
      expect(unescape(r.text)).toContain('An http:// or https:// address')
    }
    const r = await raise(v.gpg.c, { kind: 'withdraw_recognition', fingerprint: cellKey.fingerprint, argument: 'x' })
    expect(r.res.status).toBe(422)
    expect(unescape(r.text)).toContain('This cell recognises no cell with that key.')
    expect(await count('question')).toBe(0)
    expect(await count('fraternal_cell')).toBe(0)
    expect(await count('public_key', 'where fingerprint = ?', cellKey.fingerprint)).toBe(0)
    // The same fields with an http address are accepted (so it was the address that was refused).
    await raised(v.gpg.c, { kind: 'recognise_cell', name: 'Eastside', location: 'http://eastxyz.onion/c/lobby', public_key: cellKey.publicKey, argument: 'x' })
    expect(await count('question')).toBe(1)
  })
})

describe('operator actions are in the cell’s public decision log', () => {
  it('creating a cell and a board, putting a key on the roster and removing a post are listed, newest first, in that cell only', async () => {
    // The default cell was created by the operator's services when the board started.
    let log = await decisionLog()
    expect(log).toContain('Operator action: created the cell, with a line of 2 principles')
    expect(log).toContain('Operator action: created the board "general" (read by anyone, posted to by anyone)')

    await createCell(board.deps, { slug: 'branch', name: 'Branch', principles: ['Be brief.'] })
    await createBoard(board.deps, { cell: 'branch', slug: 'notes', name: 'Notes', description: '', read: 'member', retentionDays: 30 })
    const key = await heldKey()
    const fpr = await addRosterKey(board.deps, { cell: 'lobby', armoredKey: key.publicKey, tier: 'voter' })
    expect(fpr).toBe(key.fingerprint)
    const { threadId } = await postSomething()
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread: Number(threadId), number: 1 })

    const branch = unescape((await board.client().get('/c/branch/decisions')).text)
    expect(branch).toContain('Operator action: created the cell, with a line of 1 principle <small>')
    expect(branch).toContain('Operator action: created the board "notes" (read by member and up, posted to by member and up, threads kept 30 days)')
    expect(branch).not.toContain(fpr)
    expect(branch).not.toContain('"general"')

    log = await decisionLog()
    // A key is named as posts name it, by its pseudonym, with the whole fingerprint in a title.
    const who = pseudonymOf(fpr)
    const roster = log.indexOf(`Operator action: put the key <b>${who.handle}</b> <code class="fpr" title="${fpr}">${who.short}</code> on the roster at the tier voter`)
    const removal = log.indexOf(`Operator action: removed post 1 of thread ${threadId} on the board "general"`)
    const created = log.indexOf('Operator action: created the board "general"')
    expect(roster).toBeGreaterThan(-1)
    expect(removal).toBeGreaterThan(-1)
    expect(removal).toBeLessThan(roster) // newest first
    expect(roster).toBeLessThan(created)
    expect(log).not.toContain('"notes"')
    expect(await count('operator_action')).toBe(6)
  })
})

describe('amendments need two thirds of yes and no', () => {
  it('three voters: 2 yes and 1 no is exactly two thirds, and adopts', async () => {
    const v = await threeVoters()
    const q = await raised(v.gpg.c, { kind: 'amend_line', change: 'add', text: 'Two thirds is enough.', argument: 'x' })
    expect(await questionPage(q)).toContain('carried by two thirds of yes and no')
    // The no first, so the third ballot decides (two yes first would settle it at once).
    await voteOk(v.other, q, 'no')
    await voteOk(v.disposable, q, 'yes')
    expect(await statusOf(q)).toBe('open')
    await voteOk(v.gpg, q, 'yes')
    const page = await questionPage(q)
    expect(page).toContain('Decision: Adopted')
    expect(page).toContain('Yes 2, no 1, abstain 0, of 3 eligible voters (quorum 2)')
    expect((await board.client().get('/c/lobby/line')).text).toContain('<li value="3">Two thirds is enough.</li>')
  })

  it('five voters: 3 yes and 2 no is a majority but not two thirds, so an amendment is rejected while a majority question is adopted', async () => {
    const voters: Voter[] = []
    for (let i = 0; i < 5; i++) voters.push(i % 2 ? await heldKeyVoter() : await disposableOnRoster())
    const [a, b, c, d, e] = voters as [Voter, Voter, Voter, Voter, Voter]
    const text = 'Three of five is not enough.'
    const amendment = await raised(a.c, { kind: 'amend_line', change: 'add', text, argument: 'x' })
    const newcomer = await heldKey()
    const admission = await raised(a.c, { kind: 'admit_key', public_key: newcomer.publicKey, role: 'member', argument: 'x' })

    // The amendment: three yes leave it open (two no could still sink it); two no then reject it.
    for (const v of [a, b, c]) await voteOk(v, amendment, 'yes')
    expect(await statusOf(amendment)).toBe('open')
    for (const v of [d, e]) await voteOk(v, amendment, 'no')
    let page = await questionPage(amendment)
    expect(page).toContain('Yes 3, no 2, abstain 0, of 5 eligible voters (quorum 3)')
    expect(page).toContain('Decision: Rejected')
    const line = (await board.client().get('/c/lobby/line')).text
    expect(line).not.toContain(text)
    expect(line).not.toContain('Version 2')

    // The same 3 to 2 on a majority question adopts it.
    for (const v of [d, e]) await voteOk(v, admission, 'no')
    for (const v of [a, b]) await voteOk(v, admission, 'yes')
    expect(await statusOf(admission)).toBe('open')
    await voteOk(c, admission, 'yes')
    page = await questionPage(admission)
    expect(page).toContain('Yes 3, no 2, abstain 0, of 5 eligible voters (quorum 3)')
    expect(page).toContain('Decision: Adopted')
    expect(await tierOf(board.deps.db, await lobbyId(), newcomer.fingerprint)).toBe('member')
    const log = await decisionLog()
    expect(log).toMatch(new RegExp(`Decision ${amendment}</a>: Amend the line — <b>rejected</b>`))
    expect(log).toMatch(new RegExp(`Decision ${admission}</a>: Admit a key to the roster — <b>adopted</b>`))
  })
})
