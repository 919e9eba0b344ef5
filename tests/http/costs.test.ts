import { solveChallenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import { afterEach, describe, expect, it } from 'vitest'
import { numberInWords, PICTURE_LETTERS, type Puzzle } from '../../src/domain/costs.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { hiddenFields } from '../support/forms.ts'
import { clearsignWith, heldKey, unescape } from '../support/keys.ts'

// A cost for a new identity (issue 11): with ABUSE_COSTS=on, taking a disposable identity and a
// held key's first login must be paid for, by a proof of work (JavaScript on) or a puzzle
// (JavaScript off). The proof of work is solved here as the browser would, with altcha-lib, at a
// low difficulty; the puzzles' answers are known because the test makes them (openDeps' `puzzles`).
const COSTS_ON = { ABUSE_COSTS: 'on', POW_COST: '10', POW_MAX_COUNTER: '20' }

/** Puzzles whose questions say which one they are, so a test can look up the answers. */
function knownPuzzles() {
  const made = new Map<string, Puzzle>()
  let n = 0
  const maker = (): Puzzle => {
    n += 1
    const picture = Array.from({ length: 5 }, (_, i) => PICTURE_LETTERS[(n * 7 + i * 3) % PICTURE_LETTERS.length]).join('')
    const p = { picture, question: `Puzzle ${n}: what is ${numberInWords(n % 20)} plus two?`, answer: (n % 20) + 2 }
    made.set(p.question, p)
    return p
  }
  return { maker, made }
}

let board: Awaited<ReturnType<typeof makeBoard>>
let puzzles: ReturnType<typeof knownPuzzles>
async function open(env: Record<string, string> = {}, now: () => number = Date.now) {
  puzzles = knownPuzzles()
  board = await makeBoard({ ...COSTS_ON, ...env }, now, { puzzles: puzzles.maker })
  return board
}
afterEach(() => board?.close())

/** The form posting to `action` on a page, as HTML. */
function formOf(page: string, action: string): string {
  const m = new RegExp(`<form method="post" action="${action}"[\\s\\S]*?</form>`).exec(page)
  if (!m) throw new Error(`no form for ${action}`)
  return m[0]
}

/** The cost a page's form carries: its proof-of-work challenge, and its puzzle with the answers. */
function costOf(page: string, action: string) {
  const fields = hiddenFields(page, action)
  const question = /in digits or words: ([^<]*)<\/label>/.exec(formOf(page, action))?.[1]
  return { pow: fields.cost_pow!, puzzleId: fields.cost_puzzle, puzzle: question ? puzzles.made.get(unescape(question))! : null }
}

/** Solve a proof-of-work challenge as static/pow.js does in a browser. */
async function solve(pow: string): Promise<string> {
  const challenge = JSON.parse(Buffer.from(pow, 'base64url').toString('utf8'))
  const s = await solveChallenge({ challenge, deriveKey })
  return `${s!.counter}:${s!.derivedKey}`
}

async function identityPage(c: Client) {
  const { res, text } = await c.get('/identity')
  expect(res.status).toBe(200)
  return text
}

const take = (c: Client, fields: Record<string, string>) => c.post('/identity/disposable', fields)

describe('a cost for a new identity (ABUSE_COSTS=on)', () => {
  it('POST /identity/disposable without paying → 422 with a fresh check beside the form, and no session', async () => {
    await open()
    const c = board.client()
    const before = costOf(await identityPage(c), '/identity/disposable')
    const { res, text } = await take(c, {})
    expect(res.status).toBe(422)
    expect(formOf(text, '/identity/disposable')).toContain('This form asks for a small check first')
    const after = costOf(text, '/identity/disposable')
    expect(after.pow).toMatch(/^[A-Za-z0-9_-]{100,}$/)
    expect(after.pow).not.toBe(before.pow)
    expect(after.puzzleId).not.toBe(before.puzzleId)
    expect(c.cookies.has('cb_session')).toBe(false)
    expect(text).toContain('Take an identity')
  })

  it('a solved proof of work → 303 and an identity; the same solution again → 422 and no session', async () => {
    await open()
    const c = board.client()
    const { pow } = costOf(await identityPage(c), '/identity/disposable')
    const paid = { cost_pow: pow, cost_solution: await solve(pow) }
    expect((await take(c, paid)).res.status).toBe(303)
    expect(c.cookies.has('cb_session')).toBe(true)

    const replayer = board.client()
    await identityPage(replayer)
    const { res, text } = await take(replayer, paid)
    expect(res.status).toBe(422)
    expect(text).toContain('That check was already used')
    expect(replayer.cookies.has('cb_session')).toBe(false)
  })

  it('a proof of work issued for the login form does not pay for an identity → 422', async () => {
    await open()
    const c = board.client()
    const { pow } = costOf(await identityPage(c), '/identity/login')
    const { res, text } = await take(c, { cost_pow: pow, cost_solution: await solve(pow) })
    expect(res.status).toBe(422)
    expect(text).toContain('That check was made for another form')
    expect(c.cookies.has('cb_session')).toBe(false)
  })

  it('a wrong, forged or expired proof of work → 422 and no session', async () => {
    let clock = Date.now()
    await open({}, () => clock)
    const c = board.client()
    const { pow } = costOf(await identityPage(c), '/identity/disposable')
    const solution = await solve(pow)
    const [counter, key] = solution.split(':') as [string, string]
    const wrongKey = `${counter}:${key.replace(/^./, key[0] === '0' ? '1' : '0')}`
    // (What proves the work is the derived key: on the HMAC path altcha-lib does not look at the counter.)
    for (const bad of [wrongKey, `${counter}:${'0'.repeat(64)}`, 'not a solution', `${counter}:${key.slice(2)}`]) {
      const r = await take(c, { cost_pow: pow, cost_solution: bad })
      expect(r.res.status, bad).toBe(422)
      expect(r.text).toContain('was not accepted')
    }
    // A challenge whose expiry was moved later no longer carries our signature.
    const challenge = JSON.parse(Buffer.from(pow, 'base64url').toString('utf8'))
    challenge.parameters.expiresAt += 3600
    const forged = Buffer.from(JSON.stringify(challenge)).toString('base64url')
    expect((await take(c, { cost_pow: forged, cost_solution: solution })).res.status).toBe(422)
    // Eleven minutes later the real solution is too old.
    clock += 11 * 60_000
    const late = await take(c, { cost_pow: pow, cost_solution: solution })
    expect(late.res.status).toBe(422)
    expect(late.text).toContain('more than 10 minutes old')
    expect(c.cookies.has('cb_session')).toBe(false)
  })

  it('a wrong answer to the puzzle → 422 with a fresh one, and the puzzle is used up: its right answer afterwards → 422', async () => {
    await open()
    const c = board.client()
    const first = costOf(await identityPage(c), '/identity/disposable')
    const wrong = await take(c, { cost_puzzle: first.puzzleId!, cost_picture: 'wrong', cost_answer: String(first.puzzle!.answer + 1) })
    expect(wrong.res.status).toBe(422)
    expect(wrong.text).toContain('That answer did not match')
    const fresh = costOf(wrong.text, '/identity/disposable')
    expect(fresh.puzzleId).toBeDefined()
    expect(fresh.puzzleId).not.toBe(first.puzzleId)
    expect(fresh.puzzle!.question).not.toBe(first.puzzle!.question)
    // The same puzzle, right this time: it was used up by the first attempt.
    const again = await take(c, { cost_puzzle: first.puzzleId!, cost_picture: first.puzzle!.picture })
    expect(again.res.status).toBe(422)
    expect(again.text).toContain('are no longer good')
    expect((await c.request(`/cost/${first.puzzleId}.png`)).status).toBe(404)
    expect(c.cookies.has('cb_session')).toBe(false)
  })

  it('no answer at all (both boxes empty) → 422 saying none was given, not that it did not match; a new puzzle shown', async () => {
    await open()
    const c = board.client()
    const first = costOf(await identityPage(c), '/identity/disposable')
    const empty = await take(c, { cost_puzzle: first.puzzleId!, cost_picture: ' ', cost_answer: '' })
    expect(empty.res.status).toBe(422)
    expect(empty.text).not.toContain('did not match')
    expect(empty.text).toContain('No answer was given')
    expect(costOf(empty.text, '/identity/disposable').puzzleId).toBeDefined()
    expect(c.cookies.has('cb_session')).toBe(false)
    // No guess was made, so nothing was spent: the same puzzle, answered now, pays.
    const answered = await take(c, { cost_puzzle: first.puzzleId!, cost_picture: first.puzzle!.picture })
    expect(answered.res.status).toBe(303)
  })

  it('the right answer to the text question → 303; so does the picture’s text, in any case and spacing', async () => {
    await open()
    const c = board.client()
    const byQuestion = costOf(await identityPage(c), '/identity/disposable')
    // In words, as a text-browser user might write it.
    const words = numberInWords(byQuestion.puzzle!.answer)
    expect((await take(c, { cost_puzzle: byQuestion.puzzleId!, cost_answer: ` ${words.toUpperCase()}. ` })).res.status).toBe(303)
    expect(c.cookies.has('cb_session')).toBe(true)

    const d = board.client()
    const byPicture = costOf(await identityPage(d), '/identity/disposable')
    const typed = byPicture.puzzle!.picture.toUpperCase().split('').join(' ')
    expect((await take(d, { cost_puzzle: byPicture.puzzleId!, cost_picture: typed, cost_answer: '' })).res.status).toBe(303)
  })

  it('a puzzle made for the login form does not pay for an identity, and is used up by trying', async () => {
    await open()
    const c = board.client()
    const login = costOf(await identityPage(c), '/identity/login')
    const r = await take(c, { cost_puzzle: login.puzzleId!, cost_answer: String(login.puzzle!.answer) })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('made for another form')
    expect((await c.request(`/cost/${login.puzzleId}.png`)).status).toBe(404)
  })

  it('GET /cost/ID.png: a live puzzle’s picture is a PNG, never cached; an unknown, used or expired one → 404', async () => {
    let clock = Date.now()
    await open({}, () => clock)
    const c = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
    const png = await c.request(`/cost/${puzzleId}.png`)
    expect(png.status).toBe(200)
    expect(png.headers.get('content-type')).toBe('image/png')
    expect(png.headers.get('cache-control')).toBe('no-store')
    const bytes = new Uint8Array(await png.arrayBuffer())
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    expect(Buffer.from(bytes).includes(puzzle!.picture)).toBe(false)
    // Fetching the picture does not use the puzzle up.
    expect((await c.request(`/cost/${puzzleId}.png`)).status).toBe(200)
    expect((await c.request(`/cost/${'A'.repeat(56)}.png`)).status).toBe(404)
    expect((await c.request('/cost/not-an-id.png')).status).toBe(404)
    clock += 11 * 60_000
    expect((await c.request(`/cost/${puzzleId}.png`)).status).toBe(404)
  })

  it('past CAPTCHA_RENDERS_PER_SECOND the picture is refused (503, a picture saying so), and the question still pays', async () => {
    await open({ CAPTCHA_RENDERS_PER_SECOND: '1' })
    const c = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
    const drawn = await c.request(`/cost/${puzzleId}.png`)
    expect(drawn.status).toBe(200)
    const refused = await c.request(`/cost/${puzzleId}.png`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('content-type')).toBe('image/png')
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(Buffer.from(await refused.arrayBuffer()).equals(Buffer.from(await drawn.arrayBuffer()))).toBe(false)
    expect((await take(c, { cost_puzzle: puzzleId!, cost_answer: String(puzzle!.answer) })).res.status).toBe(303)
  })

  it('past QUESTION_ANSWERS_PER_MINUTE the question alone pays no more on this node (429, "type the letters in the picture"); the picture and the proof of work still pay', async () => {
    // The attack: the question is a sum in words, a regex's work for a script (an outsider's bot
    // took 295 identities in 2.9 s this way), so every cost it stands for (an identity, a login, a
    // letter, a post in flood mode) cost a script nothing. Each answer by question now takes from
    // a budget of the node's: a script gets that many a minute, not a hundred a second.
    await open({ QUESTION_ANSWERS_PER_MINUTE: '3' })
    for (let i = 0; i < 3; i++) {
      const c = board.client()
      const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
      expect((await take(c, { cost_puzzle: puzzleId!, cost_answer: String(puzzle!.answer) })).res.status).toBe(303)
    }
    const late = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(late), '/identity/disposable')
    const refused = await take(late, { cost_puzzle: puzzleId!, cost_answer: String(puzzle!.answer) })
    expect(refused.res.status).toBe(429)
    expect(unescape(formOf(refused.text, '/identity/disposable'))).toContain('Too many checks were paid by answering the question on this server in the last minute')
    expect(late.cookies.has('cb_session')).toBe(false)
    // A new check comes with the refusal; its picture pays, as does a proof of work.
    const next = costOf(refused.text, '/identity/disposable')
    expect((await take(late, { cost_puzzle: next.puzzleId!, cost_picture: next.puzzle!.picture, cost_answer: '' })).res.status).toBe(303)
    const worker = board.client()
    const { pow } = costOf(await identityPage(worker), '/identity/disposable')
    expect((await take(worker, { cost_pow: pow, cost_solution: await solve(pow) })).res.status).toBe(303)
    // Each purpose has its own budget: a script spending the identities' does not close the
    // question to a held key's first login (nor to letters, nor to posts in flood mode).
    const key = await heldKey()
    const person = board.client()
    const page = await identityPage(person)
    const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page)![1]!)
    const login = costOf(page, '/identity/login')
    const signed = await clearsignWith(key.privateKey, challenge)
    expect((await person.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed, cost_puzzle: login.puzzleId!, cost_answer: String(login.puzzle!.answer) })).res.status).toBe(303)
  })

  it('page views store no puzzle: after many GETs of /identity the next visitor with JavaScript off still gets one, and it pays', async () => {
    // The attack: a client that only loads the form, ~84 times a second, filled a cap of 50,000
    // stored puzzles (CAPTCHA_MAX_LIVE), and then no one with JavaScript off could take an identity.
    // Here the cap the stored puzzles had is set to 20, and 30 page views make 60 puzzles.
    await open({ CAPTCHA_MAX_LIVE: '20' })
    const attacker = board.client()
    for (let i = 0; i < 30; i++) await identityPage(attacker)
    const c = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
    expect(puzzleId).toBeDefined()
    expect((await c.request(`/cost/${puzzleId}.png`)).status).toBe(200)
    expect((await take(c, { cost_puzzle: puzzleId!, cost_answer: String(puzzle!.answer) })).res.status).toBe(303)
  })

  it('a puzzle that was paid for pays no second form, from any client: its answer again → 422 and no session', async () => {
    await open()
    const c = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
    const paid = { cost_puzzle: puzzleId!, cost_answer: String(puzzle!.answer) }
    expect((await take(c, paid)).res.status).toBe(303)
    const replayer = board.client()
    await identityPage(replayer)
    const r = await take(replayer, paid)
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('are no longer good')
    expect(replayer.cookies.has('cb_session')).toBe(false)
    expect((await c.request(`/cost/${puzzleId}.png`)).status).toBe(404)
  })

  it('a puzzle id changed anywhere, or not made by this server → 404 for its picture and 422 on paying; the real one still pays', async () => {
    await open()
    const c = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
    const id = puzzleId!
    expect(id).toMatch(/^[A-Za-z0-9_-]{56}$/)
    // Sealed: the id does not show the picture's text or the answer.
    expect(Buffer.from(id, 'base64url').includes(puzzle!.picture)).toBe(false)
    const flip = (at: number) => id.slice(0, at) + (id[at] === 'A' ? 'B' : 'A') + id.slice(at + 1)
    // The format byte, the nonce, the sealed puzzle, the tag; then an id made under another key.
    const forged = [flip(0), flip(5), flip(20), flip(30), flip(55), Buffer.alloc(42, 1).toString('base64url')]
    for (const bad of forged) {
      expect((await c.request(`/cost/${bad}.png`)).status, bad).toBe(404)
      const r = await take(c, { cost_puzzle: bad, cost_picture: puzzle!.picture, cost_answer: String(puzzle!.answer) })
      expect(r.res.status, bad).toBe(422)
      expect(r.text).toContain('are no longer good')
    }
    expect((await take(c, { cost_puzzle: id + 'A', cost_answer: String(puzzle!.answer) })).res.status).toBe(422)
    expect(c.cookies.has('cb_session')).toBe(false)
    // None of that spent the real puzzle.
    expect((await take(c, { cost_puzzle: id, cost_answer: String(puzzle!.answer) })).res.status).toBe(303)
  })

  it('a puzzle more than 10 minutes old → 422 even with the right answer, and its picture → 404', async () => {
    let clock = Date.now()
    await open({}, () => clock)
    const c = board.client()
    const { puzzleId, puzzle } = costOf(await identityPage(c), '/identity/disposable')
    clock += 10 * 60_000 + 1
    expect((await c.request(`/cost/${puzzleId}.png`)).status).toBe(404)
    const r = await take(c, { cost_puzzle: puzzleId!, cost_picture: puzzle!.picture, cost_answer: String(puzzle!.answer) })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('more than 10 minutes old')
    expect(c.cookies.has('cb_session')).toBe(false)
  })

  it('ABUSE_COSTS=off: the forms carry no check and an identity costs nothing', async () => {
    await open({ ABUSE_COSTS: 'off' })
    const c = board.client()
    const page = await identityPage(c)
    expect(page).not.toContain('cost_pow')
    expect(page).not.toContain('/cost/')
    expect((await take(c, {})).res.status).toBe(303)
  })
})

describe('a held key’s first login pays the same cost; a key already published does not', () => {
  async function signedChallenge(c: Client, privateKey: string) {
    const page = await identityPage(c)
    const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page)![1]!)
    return { page, signed: await clearsignWith(privateKey, challenge) }
  }

  it('a new key without paying → 422 with its paste kept and its signed challenge still good; paid → 303', async () => {
    await open()
    const key = await heldKey()
    const c = board.client()
    const { signed } = await signedChallenge(c, key.privateKey)
    const refused = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed })
    expect(refused.res.status).toBe(422)
    const form = formOf(refused.text, '/identity/login')
    expect(form).toContain('This form asks for a small check first')
    expect(form).toContain('BEGIN PGP PUBLIC KEY BLOCK')
    expect(form).toContain('BEGIN PGP SIGNED MESSAGE')
    expect(c.cookies.has('cb_session')).toBe(false)
    // The signed challenge was not used up: sent again with the check paid, it logs in.
    const { pow } = costOf(refused.text, '/identity/login')
    const paid = await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed, cost_pow: pow, cost_solution: await solve(pow) })
    expect(paid.res.status).toBe(303)
    expect(c.cookies.has('cb_session')).toBe(true)
  })

  it('a browser key’s first login pays by the puzzle too (any way to pay will do)', async () => {
    await open()
    const key = await heldKey()
    const c = board.client()
    const { page, signed } = await signedChallenge(c, key.privateKey)
    const { puzzleId, puzzle } = costOf(page, '/identity/login')
    const r = await c.post('/identity/login', { via: 'browser', public_key: key.publicKey, signed, cost_puzzle: puzzleId!, cost_picture: puzzle!.picture })
    expect(r.res.status).toBe(303)
  })

  it('a key that signed something published logs in again without paying', async () => {
    await open()
    const key = await heldKey()
    const c = board.client()
    const first = await signedChallenge(c, key.privateKey)
    const { pow } = costOf(first.page, '/identity/login')
    expect((await c.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: first.signed, cost_pow: pow, cost_solution: await solve(pow) })).res.status).toBe(303)
    await c.get('/c/lobby/general')
    expect((await c.post('/c/lobby/general', { title: 'Published by a held key', body: 'Its key is public now.' })).res.status).toBe(303)
    expect(await board.count('public_key', 'where fingerprint = ?', key.fingerprint)).toBe(1)
    await c.post('/identity/burn', {})

    const d = board.client()
    const again = await signedChallenge(d, key.privateKey)
    const r = await d.post('/identity/login', { via: 'gpg', public_key: key.publicKey, signed: again.signed })
    expect(r.res.status).toBe(303)
    expect(d.cookies.has('cb_session')).toBe(true)
  })
})
