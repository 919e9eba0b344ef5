import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as openpgp from 'openpgp'
import { ballotText } from '../../src/domain/questions.ts'
import { verifyTally } from '../../src/services/verify-tally.ts'
import { addRosterKey, createCell } from '../../src/services/cells.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { clearsignWith, heldKey, logInWith, unescape } from '../support/keys.ts'

let board: Awaited<ReturnType<typeof makeBoard>>
let now: number
beforeEach(async () => {
  now = Date.now() // keys made now must be valid "now"
  board = await makeBoard({}, () => now)
})
afterEach(() => board.close())

const root = new URL('../../', import.meta.url).pathname
const count = (table: string) => board.count(table)

/** Three voters, as the product has them: a disposable identity, a GnuPG key and a browser key. */
async function threeVoters() {
  const disposable = board.client()
  const dFpr = await disposable.takeIdentity()
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await disposable.request('/identity/public-key.asc')).text(), tier: 'voter' })
  const gpgKey = await heldKey()
  const gpg = board.client()
  await logInWith(gpg, gpgKey, 'gpg')
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: gpgKey.publicKey, tier: 'voter' })
  const browserKey = await heldKey()
  const browser = board.client()
  await logInWith(browser, browserKey, 'browser')
  await addRosterKey(board.deps, { cell: 'lobby', armoredKey: browserKey.publicKey, tier: 'voter' })
  return { disposable: { c: disposable, fpr: dFpr }, gpg: { c: gpg, key: gpgKey }, browser: { c: browser, key: browserKey } }
}

async function raise(c: Client, fields: Record<string, string>) {
  await c.get(`/c/lobby/questions/new?kind=${fields.kind}`)
  return c.post('/c/lobby/questions', fields)
}

const idOf = (location: string) => Number(location.split('/').pop())

async function voteDisposable(c: Client, q: number, choice: string) {
  await c.get(`/c/lobby/questions/${q}`)
  const review = await c.post(`/c/lobby/questions/${q}/ballot`, { choice })
  expect(review.res.status).toBe(200)
  expect(unescape(review.text)).toContain(ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice: choice as 'yes' }))
  return c.post(`/c/lobby/questions/${q}/ballot`, { choice, confirm: 'yes' })
}

async function votePasted(c: Client, privateKey: string, q: number, choice: 'yes' | 'no' | 'abstain', over: Partial<{ site: string; cell: string; question: number; line: number }> = {}) {
  await c.get(`/c/lobby/questions/${q}`)
  const text = ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice, ...over })
  return c.post(`/c/lobby/questions/${q}/ballot`, { signed: await clearsignWith(privateKey, text) })
}

// The marker is new for every post: on PostgreSQL the scan covers the whole cluster's files,
// other tests' databases and WAL included.
async function postToQuestion(title = 'Off the line', marker = `REMOVEME${randomBytes(8).toString('hex')}`) {
  const body = `${marker} contradicts everything`
  const poster = board.client()
  await poster.takeIdentity()
  await poster.get('/c/lobby/general')
  const thread = (await poster.post('/c/lobby/general', { title, body })).res.headers.get('location')!
  return { poster, thread, threadId: thread.split('/').pop()!, marker }
}

describe('remove a post: raise, vote with three kinds of key, decide, publish', () => {
  it('anyone may raise it; voters see the post, the principle and the argument; the decision removes the post and publishes every ballot', async () => {
    const v = await threeVoters()
    const { poster, thread, threadId, marker } = await postToQuestion()
    // Any identity may raise "remove a post" on a public board (the poster's neighbour, off the roster).
    const neighbour = board.client()
    await neighbour.takeIdentity()
    const raised = await raise(neighbour, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'It attacks a person, not what was said.' })
    expect(raised.res.status).toBe(303)
    const q = idOf(raised.res.headers.get('location')!)

    // The voters' queue shows what the question is about, and the ballot form to voters only.
    const queue = await v.disposable.c.get('/c/lobby/questions')
    expect(queue.text).toContain(marker)
    expect(Object.keys(await board.findPresentMarkers([marker]))).toEqual([marker])
    expect(queue.text).toContain('<blockquote class="principle">1. <bdi>Say what you mean')
    expect(queue.text).toContain('<bdi>It attacks a person, not what was said.</bdi>')
    expect(queue.text).toContain(`<h2><a href="/c/lobby/questions/${q}">Question ${q}</a>: `)
    // The question's own page has it as its heading (an h1, as every page has: a JS-on walkthrough found none).
    expect((await v.disposable.c.get(`/c/lobby/questions/${q}`)).text).toContain(`<h1><a href="/c/lobby/questions/${q}">Question ${q}</a>: `)
    expect(queue.text).toContain('<b>0</b> of 3 ballots cast so far')
    expect(queue.text).toContain('Review the ballot')
    expect((await neighbour.get('/c/lobby/questions')).text).not.toContain('Review the ballot')
    // Voters see a count of open questions on every page.
    expect((await v.gpg.c.get('/')).text).toContain('1 open question</a>')

    // A disposable voter confirms the exact text first, on a page that names the question by its
    // number and what it asks (the text says only "question: N"); then only the count shows, not the choice.
    const confirm = await v.disposable.c.post(`/c/lobby/questions/${q}/ballot`, { choice: 'yes' })
    expect(confirm.text).toContain('<h1>Sign this ballot?</h1>')
    expect(confirm.text).toMatch(new RegExp(`<p>On <a href="/c/lobby/questions/${q}">question ${q}: [A-Z][^<]+</a>.</p>`))
    expect((await voteDisposable(v.disposable.c, q, 'yes')).res.status).toBe(303)
    const afterOne = await poster.get(`/c/lobby/questions/${q}`)
    expect(afterOne.text).toContain('<b>1</b> of 3 ballots cast so far')
    expect(afterOne.text).not.toMatch(/<b>yes<\/b>/)

    // The GnuPG voter pastes a clearsigned ballot: 2 yes of 3 settles it, so it closes at once.
    expect((await votePasted(v.gpg.c, v.gpg.key.privateKey, q, 'yes')).res.status).toBe(303)

    const decision = await poster.get(`/c/lobby/questions/${q}`)
    expect(decision.text).toContain('Decision: Adopted')
    expect(decision.text).toContain('Yes 2, no 0, abstain 0, of 3 eligible voters (quorum 2)')
    expect(decision.text).toContain('The post was removed; its content is not shown.')
    expect(decision.text).not.toContain(marker)
    expect(decision.text.match(/-----BEGIN PGP SIGNED MESSAGE-----/g)).toHaveLength(2)
    expect(decision.text).toContain(`<code>${v.gpg.key.fingerprint}</code>`)
    // The thread had only that post: it is gone, and its text is gone from the files.
    expect((await poster.get(thread)).res.status).toBe(404)
    const left = await board.findMarkers([marker])
    expect(left, JSON.stringify(left)).toEqual({})
    // Every time kept about the question and its ballots is coarse (on the hour by default),
    // the deadline included: deadline minus 72 h must not give the moment it was raised.
    const times = [
      ...(await board.column('select opened_at from question where id = ?', q)),
      ...(await board.column('select deadline from question where id = ?', q)),
      ...(await board.column('select closed_at from question where id = ?', q)),
      ...(await board.column('select cast_at from ballot where question_id = ?', q)),
    ]
    expect(times).toHaveLength(5)
    for (const t of times) expect(t).toMatch(/T\d\d:00:00\.000Z$/)
    // The decision log lists it.
    expect((await poster.get('/c/lobby/decisions')).text).toMatch(/Decision 1<\/a>: Remove a post — <b>adopted<\/b>/)

    // The bundle rechecks offline with the CLI, and every ballot with real gpg.
    const bundle = await (await poster.request(`/c/lobby/questions/${q}/bundle.json`)).text()
    const file = join(board.dir, 'bundle.json')
    writeFileSync(file, bundle)
    const verified = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify-tally', file], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } })
    expect(verified.stdout).toBe('ok: adopted (yes 2, no 0, abstain 0)\n')
    expect(verified.status).toBe(0)
    const parsed = JSON.parse(bundle)
    expect(parsed.eligible).toHaveLength(3)
    for (const b of parsed.ballots) {
      const home = join(board.dir, `gpg-${b.fingerprint}`)
      const gpg = (...args: string[]) => spawnSync('gpg', ['--homedir', home, '--batch', ...args], { encoding: 'utf8' })
      spawnSync('mkdir', ['-m', '700', home])
      writeFileSync(join(home, 'key.asc'), parsed.eligible.find((e: { fingerprint: string }) => e.fingerprint === b.fingerprint).publicKey)
      writeFileSync(join(home, 'ballot.asc'), b.signedText)
      expect(gpg('--import', join(home, 'key.asc')).status).toBe(0)
      const r = gpg('--verify', join(home, 'ballot.asc'))
      expect(r.stderr).toContain('Good signature')
      expect(r.status).toBe(0)
    }
    // A bundle that claims easier rules, or swaps in a key of its own, does not pass.
    const easier = await verifyTally({ ...parsed, question: { ...parsed.question, quorum: 1 } })
    expect(easier.ok).toBe(false)
    expect(easier.problems.join('\n')).toContain('the quorum is 2, the bundle says 1')
    const weak = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'not a voter' }], format: 'armored' })
    const victim = parsed.eligible[0].fingerprint as string
    const swapped = {
      ...parsed,
      eligible: parsed.eligible.map((e: { fingerprint: string }) => (e.fingerprint === victim ? { ...e, publicKey: weak.publicKey } : e)),
      ballots: [...parsed.ballots.filter((b: { fingerprint: string }) => b.fingerprint !== victim), { fingerprint: victim, signing: 'gpg-signed', signedText: await clearsignWith(weak.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice: 'yes' })) }],
    }
    const forgedKey = await verifyTally(swapped)
    expect(forgedKey.ok).toBe(false)
    expect(forgedKey.problems.join('\n')).toMatch(new RegExp(`the key listed as ${victim} is refused: Only EdDSA`))
    // A tampered tally does not pass the CLI either.
    writeFileSync(file, bundle.replace('"yes": 2', '"yes": 3'))
    const forged = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify-tally', file], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } })
    expect(forged.status).toBe(1)
    expect(forged.stdout).toContain('MISMATCH')
  })

  it('a later ballot replaces the earlier one; at the deadline a question without quorum closes unadopted', async () => {
    const v = await threeVoters()
    const { threadId, thread, poster } = await postToQuestion()
    const q = idOf((await raise(v.gpg.c, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '2', argument: 'Asks who someone is.' })).res.headers.get('location')!)
    await voteDisposable(v.disposable.c, q, 'yes')
    await voteDisposable(v.disposable.c, q, 'no')
    expect(await count('ballot')).toBe(1)
    expect(await board.column('select choice from ballot')).toEqual(['no'])
    now += 73 * 3600_000 // 72 h, then the deadline is rounded up to the hour
    const page = await poster.get(`/c/lobby/questions/${q}`)
    expect(page.text).toContain('Decision: No quorum: not adopted')
    expect((await poster.get(thread)).res.status).toBe(200)
  })
})

describe('amending the line and changing the roster', () => {
  it('an amendment carried by two thirds makes a new line version, shown with the decision that made it', async () => {
    const v = await threeVoters()
    const q = idOf((await raise(v.gpg.c, { kind: 'amend_line', change: 'add', principle: '1', text: 'Quote before you answer.', argument: 'Threads lose track.' })).res.headers.get('location')!)
    await voteDisposable(v.disposable.c, q, 'yes')
    expect((await votePasted(v.browser.c, v.browser.key.privateKey, q, 'yes')).res.status).toBe(303)
    const line = await v.gpg.c.get('/c/lobby/line')
    expect(line.text).toContain('<h2>Version 2 (current)</h2>')
    expect(line.text).toContain(`by <a href="/c/lobby/questions/${q}">decision ${q}</a>`)
    expect(line.text).toContain('<li value="3">Quote before you answer.</li>')
    expect(line.text).toContain('<h2>Version 1</h2>')
    expect((await v.gpg.c.get('/c/lobby')).text).toContain('(version 2)')
  })

  it('removing a key from the roster ends its sessions at once', async () => {
    const v = await threeVoters()
    const q = idOf((await raise(v.gpg.c, { kind: 'remove_key', fingerprint: v.browser.key.fingerprint, argument: 'Lost device.' })).res.headers.get('location')!)
    expect(await board.deps.sessions.get(v.browser.c.cookies.get('cb_session')!)).not.toBeNull()
    await voteDisposable(v.disposable.c, q, 'yes')
    await votePasted(v.gpg.c, v.gpg.key.privateKey, q, 'yes')
    expect(await board.deps.sessions.get(v.browser.c.cookies.get('cb_session')!)).toBeNull()
    expect(await board.count('roster_entry r join public_key k on k.id = r.key_id', 'where k.fingerprint = ?', v.browser.key.fingerprint)).toBe(0)
    expect((await v.browser.c.get('/identity')).text).toContain('Your last identity’s session ended')
  })
})

describe('a raise form is offered only where it can succeed', () => {
  const form = '<form method="post" action="/c/lobby/questions">'
  it('no voters yet: the page says so instead of showing a form that would be refused', async () => {
    const c = board.client()
    await c.takeIdentity()
    const page = await c.get('/c/lobby/questions/new?kind=remove_post')
    expect(page.res.status).toBe(200)
    expect(page.text).toContain('no voters on its roster yet')
    expect(page.text).not.toContain(form)
  })

  it('a kind for roster keys only: an identity off the roster is told so, a member gets the form', async () => {
    const v = await threeVoters()
    const stranger = board.client()
    await stranger.takeIdentity()
    const page = await stranger.get('/c/lobby/questions/new?kind=amend_line')
    expect(page.text).toContain('Only keys on this cell’s roster may raise this kind of question')
    expect(page.text).not.toContain(form)
    // The kind anyone may raise still has its form.
    expect((await stranger.get('/c/lobby/questions/new?kind=remove_post')).text).toContain(form)
    expect((await v.gpg.c.get('/c/lobby/questions/new?kind=amend_line')).text).toContain(form)
  })
})

describe('bad input on questions and ballots: a clear answer, nothing stored', () => {
  it('refuses ballots from a key not eligible, replayed elsewhere, after close, malformed or tampered', async () => {
    const v = await threeVoters()
    const { threadId } = await postToQuestion()
    const q1 = idOf((await raise(v.gpg.c, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'one' })).res.headers.get('location')!)
    const q2 = idOf((await raise(v.gpg.c, { kind: 'amend_line', change: 'remove', principle: '2', text: '', argument: 'two' })).res.headers.get('location')!)
    const before = await count('ballot')

    const outsider = board.client()
    await outsider.takeIdentity()
    await outsider.get(`/c/lobby/questions/${q1}`)
    expect((await outsider.post(`/c/lobby/questions/${q1}/ballot`, { choice: 'yes', confirm: 'yes' })).res.status).toBe(403)

    const key = v.gpg.key.privateKey
    for (const [over, what] of [[{ question: q2 }, 'question'], [{ cell: 'elsewhere' }, 'cell'], [{ site: 'evil.example' }, 'site'], [{ line: 2 }, 'line']] as const) {
      const r = await votePasted(v.gpg.c, key, q1, 'yes', over)
      expect(r.res.status, what).toBe(422)
      expect(unescape(r.text)).toContain(`signed for ${what}`)
    }
    await v.gpg.c.get(`/c/lobby/questions/${q1}`)
    let r = await v.gpg.c.post(`/c/lobby/questions/${q1}/ballot`, { signed: 'I vote yes, trust me' })
    expect(r.res.status).toBe(422)
    const good = await clearsignWith(key, ballotText({ site: 'cellboard.local', cell: 'lobby', question: q1, line: 1, choice: 'no' }))
    r = await v.gpg.c.post(`/c/lobby/questions/${q1}/ballot`, { signed: good.replace('choice: no', 'choice: yes') })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('does not verify')
    r = await v.gpg.c.post(`/c/lobby/questions/${q1}/ballot`, { signed: await clearsignWith(v.browser.key.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: q1, line: 1, choice: 'yes' })) })
    expect(r.res.status).toBe(422)
    expect(await count('ballot')).toBe(before)

    // After close: 409.
    await voteDisposable(v.disposable.c, q1, 'no')
    await votePasted(v.browser.c, v.browser.key.privateKey, q1, 'no')
    const stored = await count('ballot')
    r = await votePasted(v.gpg.c, key, q1, 'yes')
    expect(r.res.status).toBe(409)
    expect(r.text).toContain('This question is closed')
    expect(await count('ballot')).toBe(stored)
  })

  it('two ballots arriving as the question settles: every stored ballot is in the published tally', async () => {
    const v = await threeVoters()
    const { threadId } = await postToQuestion()
    const q = idOf((await raise(v.gpg.c, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'race' })).res.headers.get('location')!)
    expect((await votePasted(v.gpg.c, v.gpg.key.privateKey, q, 'yes')).res.status).toBe(303)
    // Both remaining voters have their ballot ready, then send it at the same moment: either one
    // settles the question (2 yes of 3), and the other may arrive while it closes.
    await v.disposable.c.get(`/c/lobby/questions/${q}`)
    expect((await v.disposable.c.post(`/c/lobby/questions/${q}/ballot`, { choice: 'yes' })).res.status).toBe(200)
    await v.browser.c.get(`/c/lobby/questions/${q}`)
    const browserBallot = await clearsignWith(v.browser.key.privateKey, ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice: 'yes' }))
    const [a, b] = await Promise.all([
      v.disposable.c.post(`/c/lobby/questions/${q}/ballot`, { choice: 'yes', confirm: 'yes' }),
      v.browser.c.post(`/c/lobby/questions/${q}/ballot`, { signed: browserBallot }),
    ])
    expect([a.res.status, b.res.status].sort()).toContain(303)
    for (const r of [a, b]) expect([303, 409]).toContain(r.res.status)
    const [tallied] = await board.column('select yes + no + abstain from question where id = ?', q)
    expect(Number(tallied)).toBe(await count('ballot'))
    expect(Number(tallied)).toBe(1 + [a, b].filter((r) => r.res.status === 303).length)
  })

  it('refuses a question citing a missing principle, about another cell’s post, or past the rate limit', async () => {
    await threeVoters()
    await createCell(board.deps, { slug: 'other', name: 'Other', principles: ['Be brief.'] })
    const { threadId } = await postToQuestion()
    const stranger = board.client()
    await stranger.takeIdentity()
    const before = await count('question')
    let r = await raise(stranger, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '9', argument: 'x' })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('The cell’s line has no principle 9.')
    await stranger.get('/c/other/questions/new?kind=remove_post')
    r = await stranger.post('/c/other/questions', { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'x' })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('That post is not in this cell')
    r = await raise(stranger, { kind: 'amend_line', change: 'add', text: 'Mine', argument: 'x' })
    expect(r.res.status).toBe(403)
    expect(await count('question')).toBe(before)
    for (let i = 0; i < 5; i++) expect((await raise(stranger, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: `try ${i}` })).res.status).toBe(303)
    r = await raise(stranger, { kind: 'remove_post', board: 'general', thread: threadId, number: '1', principle: '1', argument: 'one more' })
    expect(r.res.status).toBe(429)
    expect(unescape(r.text)).toContain('A key may raise a question 5 times an hour, and this one has. You may raise a question again in about')
    expect(await count('question')).toBe(before + 5)
  })
})

describe('no reputation', () => {
  it('no route lists posts by key or shows a per-key count: the GET routes are exactly these', () => {
    const gets = [...new Set(board.app.routes.filter((r) => r.method === 'GET').map((r) => r.path))].sort()
    expect(gets).toEqual([
      '/',
      '/c/:cell',
      '/c/:cell/:board',
      '/c/:cell/:board/feed.atom',
      '/c/:cell/:board/t/:thread{[0-9]+}',
      '/c/:cell/:board/t/:thread{[0-9]+}/p/:file{[0-9]+\\.asc}',
      '/c/:cell/:board/t/:thread{[0-9]+}/p/:n{[0-9]+}',
      '/c/:cell/decisions',
      '/c/:cell/decisions/answers.atom',
      '/c/:cell/decisions/feed.atom',
      '/c/:cell/key-transitions',
      '/c/:cell/key-transitions/:n{[0-9]+}/key.asc',
      '/c/:cell/key-transitions/:n{[0-9]+}/statement.asc',
      '/c/:cell/key.asc',
      '/c/:cell/letters',
      '/c/:cell/letters/inbox.asc',
      '/c/:cell/letters/new',
      '/c/:cell/line',
      '/c/:cell/questions',
      '/c/:cell/questions/:question{[0-9]+}',
      '/c/:cell/questions/:question{[0-9]+}/bundle.json',
      '/c/:cell/questions/new',
      '/c/:cell/search',
      '/cost/:file{[A-Za-z0-9_-]{56}\\.png}',
      '/favicon.ico',
      '/identity',
      '/identity/challenge',
      '/identity/own-posts.css',
      '/identity/private-key.asc',
      '/identity/public-key.asc',
      '/k/:file{[0-9a-fA-F]{40,64}\\.asc}',
      '/lang',
      '/privacy',
      '/questions',
      '/robots.txt',
      '/search',
      '/static/:name{.+}',
    ])
  })

  it('a key’s address gives only the key, never its posts', async () => {
    const c = board.client()
    const fpr = await c.takeIdentity()
    await c.get('/c/lobby/general')
    await c.post('/c/lobby/general', { title: 'Mine', body: 'POSTBYKEYMARKER' })
    const key = await c.request(`/k/${fpr}.asc`)
    expect(await key.text()).not.toContain('POSTBYKEYMARKER')
    expect((await c.request(`/k/${fpr}`)).status).toBe(404)
  })
})
