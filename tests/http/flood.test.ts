import { afterEach, describe, expect, it } from 'vitest'
import type { Puzzle } from '../../src/domain/costs.ts'
import { addRosterKey } from '../../src/services/cells.ts'
import { setBoardFloodMode, setRosterFloodExemption } from '../../src/services/flood.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { COSTS_ON, paidCost, takePaidIdentity } from '../support/costs.ts'
import { hiddenFields } from '../support/forms.ts'
import { unescape } from '../support/keys.ts'

// Flood mode (issue 11, "Abuse without addresses"): when a board gets more than
// FLOOD_POSTS_PER_MINUTE posts in a minute, or the operator turns it on, every post there costs a
// proof of work or a puzzle until the rate falls back. A low threshold keeps these tests fast.
const FLOOD = { ...COSTS_ON, FLOOD_POSTS_PER_MINUTE: '5', FLOOD_HOLD_MINUTES: '10' }
const BOARD = '/c/lobby/general'

// Every puzzle the same, so a test knows its answers (the question's is 4).
const PUZZLE: Puzzle = { picture: 'abcde', question: 'What is two plus two?', answer: 4 }

let board: Awaited<ReturnType<typeof makeBoard>>
let clock: number
async function open(env: Record<string, string> = {}) {
  clock = Date.now()
  board = await makeBoard({ ...FLOOD, ...env }, () => clock, { puzzles: () => PUZZLE })
  return board
}
afterEach(() => board?.close())

async function poster(): Promise<Client> {
  const c = board.client()
  await takePaidIdentity(c)
  await c.get(BOARD)
  return c
}

const bannerOf = (page: string) => /<p class="notice flood" role="status">([^<]*)/.exec(page)?.[1] ?? null
const alertOf = (page: string) => unescape(/role="alert">([^<]+)/.exec(page)?.[1] ?? '')
const asksCost = (page: string, action: string) => 'cost_pow' in hiddenFields(page, action)

/** Enough posts (each a thread) to pass the threshold: the board is in flood after them. */
async function flood(c: Client): Promise<string> {
  let thread = ''
  for (let i = 0; i < 6; i++) {
    const r = await c.post(BOARD, { title: `Busy ${i}`, body: 'busy' })
    expect(r.res.status, `post ${i}`).toBe(303)
    thread = r.res.headers.get('location')!
  }
  return thread
}

describe('flood mode: the attack', () => {
  it('100 posts in a minute on one board: past the threshold, none lands without paying a cost', async () => {
    await open()
    const c = await poster()
    const statuses: number[] = []
    for (let i = 0; i < 100; i++) statuses.push((await c.post(BOARD, { title: `Flood ${i}`, body: 'FLOODTEXT' })).res.status)
    // The threshold's posts and the one that passes it land; every one after that is refused.
    expect(statuses.slice(0, 6)).toEqual(Array(6).fill(303))
    expect(statuses.slice(6)).toEqual(Array(94).fill(422))
    expect(await board.count('post')).toBe(6)
  })
})

describe('flood mode: the attack, all at once', () => {
  it('a burst from many keys, every post sent at the same moment: past the threshold, none lands without paying', async () => {
    // Keys stored up beforehand, each with its form, then every post sent together. Until
    // 2026-12-07 a post was counted for its board only after it was written, so every post of
    // a burst passed the check before the first was counted: all of them landed.
    await open()
    const keys = await Promise.all(Array.from({ length: 12 }, () => poster()))
    const thread = (await keys[0]!.post(BOARD, { title: 'Target', body: 'opening' })).res.headers.get('location')!
    for (const c of keys) await c.get(thread)
    const sent = await Promise.all(keys.flatMap((c, i) => [0, 1].map((j) => c.post(thread, { body: `BURST ${i}-${j}` }))))
    const statuses = sent.map((r) => r.res.status)
    // The opening post and four replies reach the threshold; the fifth reply passes it, lands and
    // begins the flood; each one after that is asked for the check.
    expect(statuses.filter((s) => s === 303).length).toBe(5)
    expect(statuses.filter((s) => s === 422).length).toBe(19)
    for (const r of sent.filter((r) => r.res.status === 422)) expect(alertOf(r.text)).toContain('check')
    expect(await board.count('post', "where body_source like 'BURST %'")).toBe(5)
    // The board is in flood now, for every one.
    expect(bannerOf((await board.client().get(BOARD)).text)).toContain('many posts')
  })
})

describe('flood mode: refused posts', () => {
  it('posts refused for what they say, sent at once past the threshold, neither land nor put the board in flood', async () => {
    // Counted before they are written, they are given back when refused: the hold begins only with
    // a post written (one key sending empty replies held a board in flood for nothing, in review).
    await open()
    const c = await poster()
    const thread = (await c.post(BOARD, { title: 'Target', body: 'opening' })).res.headers.get('location')!
    await c.get(thread)
    const sent = await Promise.all(Array.from({ length: 12 }, () => c.post(thread, { body: '' })))
    expect(sent.map((r) => r.res.status)).toEqual(Array(12).fill(422))
    expect(bannerOf((await board.client().get(BOARD)).text)).toBeNull()
    // Nothing of them counts: four replies, one after another, land free and begin nothing.
    for (let i = 0; i < 4; i++) expect((await c.post(thread, { body: `fine ${i}` })).res.status).toBe(303)
    expect(bannerOf((await board.client().get(BOARD)).text)).toBeNull()
  })
})

describe('flood mode, auto', () => {
  it('under the threshold: no banner, no check; past it: a banner on board and thread pages, and the forms carry a check', async () => {
    await open()
    const c = await poster()
    const before = (await c.get(BOARD)).text
    expect(bannerOf(before)).toBeNull()
    expect(asksCost(before, BOARD)).toBe(false)
    for (let i = 0; i < 5; i++) expect((await c.post(BOARD, { title: `Calm ${i}`, body: 'calm' })).res.status).toBe(303)
    expect(bannerOf((await c.get(BOARD)).text)).toBeNull()

    const thread = (await c.post(BOARD, { title: 'The sixth', body: 'passes it' })).res.headers.get('location')!
    const page = (await c.get(BOARD)).text
    expect(bannerOf(page)).toContain('This board is getting many posts just now')
    expect(bannerOf(page)).toContain('asks for a small check until it calms down')
    expect(asksCost(page, BOARD)).toBe(true)
    // With JavaScript off, the picture and the question.
    expect(page).toContain('What is two plus two?')
    const threadPage = (await c.get(thread)).text
    expect(bannerOf(threadPage)).toContain('This board is getting many posts just now')
    expect(asksCost(threadPage, thread)).toBe(true)
    // A reader with no identity sees the banner too (the page is not served from the cache of before).
    expect(bannerOf((await board.client().get(BOARD)).text)).toContain('getting many posts')
  })

  it('a new thread without the check → 422, its title and text kept, a fresh check and a message beside it, nothing stored', async () => {
    await open()
    const c = await poster()
    await flood(c)
    const first = hiddenFields((await c.get(BOARD)).text, BOARD).cost_pow
    const [threads, posts] = [await board.count('thread'), await board.count('post')]
    const r = await c.post(BOARD, { title: 'KEPT TITLE', body: 'KEPT TEXT' })
    expect(r.res.status).toBe(422)
    expect(alertOf(r.text)).toContain('This board is getting many posts just now, so each post asks for a small check first')
    expect(r.text).toContain('value="KEPT TITLE"')
    expect(r.text).toContain('KEPT TEXT</textarea>')
    expect(r.text).toContain('Do the check below, then send the form again.')
    const fresh = hiddenFields(r.text, BOARD).cost_pow
    expect(fresh).toBeTruthy()
    expect(fresh).not.toBe(first)
    expect(await board.count('thread')).toBe(threads)
    expect(await board.count('post')).toBe(posts)
  })

  it('a reply by htmx without the check → 422 and the form fragment, text kept, a fresh check; paid → the post', async () => {
    await open()
    const c = await poster()
    const thread = await flood(c)
    await c.get(thread)
    const posts = await board.count('post')
    const r = await c.post(thread, { body: 'KEPT REPLY' }, { 'HX-Request': 'true' })
    expect(r.res.status).toBe(422)
    expect(r.res.headers.get('HX-Retarget')).toBe('#reply')
    expect(r.text).toMatch(/^<form id="reply"/)
    expect(r.text).toContain('KEPT REPLY</textarea>')
    expect(r.text).toContain('Do the check below, then send the form again.')
    expect(await board.count('post')).toBe(posts)
    // The fragment's check, paid, posts the reply; the fresh form that comes back has a new check.
    const ok = await c.post(thread, { body: 'A paid reply', ...(await paidCost(r.text, thread)) }, { 'HX-Request': 'true' })
    expect(ok.res.status).toBe(200)
    expect(ok.text).toContain('A paid reply')
    expect(ok.text).toContain('name="cost_pow"')
    expect(await board.count('post')).toBe(posts + 1)
  })

  it('paid by a solved proof of work → 303; the same solution again → 422; by the picture or the question (JavaScript off) → 303', async () => {
    await open()
    const c = await poster()
    const thread = await flood(c)
    const paid = await paidCost((await c.get(BOARD)).text, BOARD)
    expect((await c.post(BOARD, { title: 'Paid', body: 'by work', ...paid })).res.status).toBe(303)
    await c.get(BOARD)
    const again = await c.post(BOARD, { title: 'Again', body: 'same work', ...paid })
    expect(again.res.status).toBe(422)
    expect(alertOf(again.text)).toContain('That check was already used')

    const puzzle = hiddenFields((await c.get(thread)).text, thread).cost_puzzle!
    expect((await c.post(thread, { body: 'by the question', cost_puzzle: puzzle, cost_answer: 'four' })).res.status).toBe(303)
    const picture = hiddenFields((await c.get(thread)).text, thread).cost_puzzle!
    expect((await c.post(thread, { body: 'by the picture', cost_puzzle: picture, cost_picture: 'ABCDE' })).res.status).toBe(303)
    const wrong = hiddenFields((await c.get(thread)).text, thread).cost_puzzle!
    expect((await c.post(thread, { body: 'WRONG ANSWER', cost_puzzle: wrong, cost_answer: '5' })).res.status).toBe(422)
    expect(await board.count('post', 'where body_source = ?', 'WRONG ANSWER')).toBe(0)
  })

  it('a check made for a post pays for no identity, and one made for an identity pays for no post', async () => {
    await open()
    const c = await poster()
    await flood(c)
    const forPost = await paidCost((await c.get(BOARD)).text, BOARD)
    const stranger = board.client()
    await stranger.get('/identity')
    const r = await stranger.post('/identity/disposable', forPost)
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('That check was made for another form')
    expect(stranger.cookies.has('cb_session')).toBe(false)

    const forIdentity = await paidCost((await stranger.get('/identity')).text, '/identity/disposable')
    await c.get(BOARD)
    const p = await c.post(BOARD, { title: 'Wrong check', body: 'identity check', ...forIdentity })
    expect(p.res.status).toBe(422)
    expect(alertOf(p.text)).toContain('That check was made for another form')
  })

  it('the flood ends FLOOD_HOLD_MINUTES after its last minute over the threshold: banner and check gone, posts free again', async () => {
    await open()
    const c = await poster()
    const thread = await flood(c)
    const reader = board.client()
    expect(bannerOf((await reader.get(thread)).text)).not.toBeNull()
    clock += 9 * 60_000
    expect(bannerOf((await c.get(BOARD)).text)).not.toBeNull()
    clock += 2 * 60_000
    const page = (await c.get(BOARD)).text
    expect(bannerOf(page)).toBeNull()
    expect(asksCost(page, BOARD)).toBe(false)
    expect(bannerOf((await reader.get(thread)).text)).toBeNull()
    expect(bannerOf((await reader.get(BOARD)).text)).toBeNull()
    expect((await c.post(BOARD, { title: 'Calm again', body: 'free' })).res.status).toBe(303)
  })

  it('another board of the cell is not in flood', async () => {
    await open()
    const { createBoard } = await import('../../src/services/cells.ts')
    await createBoard(board.deps, { cell: 'lobby', slug: 'quiet', name: 'Quiet', description: '', retentionDays: null })
    const c = await poster()
    await flood(c)
    const quiet = (await c.get('/c/lobby/quiet')).text
    expect(bannerOf(quiet)).toBeNull()
    expect((await c.post('/c/lobby/quiet', { title: 'Free here', body: 'no check' })).res.status).toBe(303)
  })
})

describe('flood mode and the roster', () => {
  async function rosterPoster(): Promise<Client> {
    const c = await poster()
    const armoredKey = await (await c.request('/identity/public-key.asc')).text()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey, tier: 'member' })
    return c
  }

  it('keys on the roster post without a check while the cell exempts them (the default), and pay once it does not', async () => {
    await open()
    const member = await rosterPoster()
    await flood(await poster())
    const page = (await member.get(BOARD)).text
    expect(bannerOf(page)).toContain('Your key is on the cell’s roster, so your posts go without it.')
    expect(asksCost(page, BOARD)).toBe(false)
    expect((await member.post(BOARD, { title: 'Member', body: 'free' })).res.status).toBe(303)

    await setRosterFloodExemption(board.deps, { cell: 'lobby', exempt: false })
    const paying = (await member.get(BOARD)).text
    expect(bannerOf(paying)).not.toContain('roster')
    expect(asksCost(paying, BOARD)).toBe(true)
    const r = await member.post(BOARD, { title: 'Member', body: 'MEMBER TEXT' })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('MEMBER TEXT')
    await setRosterFloodExemption(board.deps, { cell: 'lobby', exempt: true })
    await member.get(BOARD)
    expect((await member.post(BOARD, { title: 'Member again', body: 'free again' })).res.status).toBe(303)
  })
})

describe('flood mode as the operator sets it', () => {
  it('on: in flood with no posts at all, the banner on a page kept before; off: never, past the threshold too; auto: by the rate again', async () => {
    await open()
    const reader = board.client()
    expect(bannerOf((await reader.get(BOARD)).text)).toBeNull()
    expect(bannerOf((await reader.get(BOARD)).text)).toBeNull() // now kept whole in the cache

    await setBoardFloodMode(board.deps, { cell: 'lobby', board: 'general', setting: 'on' })
    expect(bannerOf((await reader.get(BOARD)).text)).toContain('getting many posts')
    const c = await poster()
    expect((await c.post(BOARD, { title: 'Unpaid', body: 'on' })).res.status).toBe(422)

    await setBoardFloodMode(board.deps, { cell: 'lobby', board: 'general', setting: 'off' })
    await c.get(BOARD)
    await flood(c)
    for (let i = 0; i < 3; i++) expect((await c.post(BOARD, { title: `Off ${i}`, body: 'off' })).res.status).toBe(303)
    expect(bannerOf((await reader.get(BOARD)).text)).toBeNull()

    // Back to auto: the rate counted while it was off holds the board in flood.
    await setBoardFloodMode(board.deps, { cell: 'lobby', board: 'general', setting: 'auto' })
    expect(bannerOf((await reader.get(BOARD)).text)).toContain('getting many posts')
    const actions = await board.column('select action from operator_action order by id')
    expect(actions.slice(-3)).toEqual([
      'set flood mode on the board "general" to on (every post there asks for a check)',
      'set flood mode on the board "general" to off (never in flood)',
      'set flood mode on the board "general" to auto (in flood while its posts per minute pass the threshold)',
    ])
  })

  it('refuses a setting that is not auto, on or off, and an unknown board', async () => {
    await open()
    await expect(setBoardFloodMode(board.deps, { cell: 'lobby', board: 'general', setting: 'always' })).rejects.toThrow('Flood mode is "auto", "on" or "off".')
    await expect(setBoardFloodMode(board.deps, { cell: 'lobby', board: 'nowhere', setting: 'on' })).rejects.toThrow('That board does not exist')
  })

  it('ABUSE_COSTS=off: the banner shows, and no check is asked', async () => {
    await open({ ABUSE_COSTS: 'off' })
    await setBoardFloodMode(board.deps, { cell: 'lobby', board: 'general', setting: 'on' })
    const c = board.client()
    await c.takeIdentity()
    const page = (await c.get(BOARD)).text
    expect(bannerOf(page)).toBe('This board is getting many posts just now.')
    expect(asksCost(page, BOARD)).toBe(false)
    expect((await c.post(BOARD, { title: 'Free', body: 'costs are off' })).res.status).toBe(303)
  })
})
