import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addRosterKey, createBoard, setBoardAccess, setCellTiers } from '../../src/services/cells.ts'
import { closeQuestion } from '../../src/services/questions/decide.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { withCellKey } from '../support/letters.ts'
import { alertOf, questionsOf } from '../support/questions.ts'

// Need-to-know tiers (issue 12): a cell with three tiers of its own, boards read and posted to from
// different tiers, votes and letters from the top one. The access matrix: every address a viewer
// can ask for under a cell, for every tier and for no session at all. A viewer who may not read a
// board gets one and the same answer (status and page) for every address under it, existing or not.

type Board = Awaited<ReturnType<typeof makeBoard>>
let board: Board
const viewers: Record<string, Client> = {}
const TIERS = ['supporter', 'member', 'cadre'] as const
type Viewer = 'no session' | 'off the roster' | (typeof TIERS)[number]
const VIEWERS: Viewer[] = ['no session', 'off the roster', ...TIERS]
// Each board: its least read and post tiers (null: anyone).
const BOARDS = { general: [null, null], wide: ['supporter', 'member'], inner: ['cadre', 'cadre'] } as const
const question: Record<string, number> = {}

const rank = (v: Viewer) => (TIERS as readonly string[]).indexOf(v)
const reaches = (v: Viewer, need: string | null) => need === null || (rank(v) >= 0 && rank(v) >= rank(need as Viewer))
/** What differs only by request: the form token, and the address the page was asked for. */
// The language switch at a page's foot links back to the address asked for: the same for every reader.
const normalised = (text: string) => text.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replace(/([?&;]next=)[^"&]*/g, '$1')

beforeAll(async () => {
  board = await makeBoard()
  await setCellTiers(board.deps, { cell: 'lobby', tiers: TIERS.join(','), vote: 'cadre', inbox: 'cadre' })
  for (const [slug, [read, post]] of Object.entries(BOARDS)) {
    if (slug !== 'general') await createBoard(board.deps, { cell: 'lobby', slug, name: slug, description: '', read, post, retentionDays: null })
  }
  await withCellKey(board)
  viewers['no session'] = board.client()
  viewers['off the roster'] = board.client()
  await viewers['off the roster'].takeIdentity()
  for (const t of TIERS) {
    const c = board.client()
    await c.takeIdentity()
    await addRosterKey(board.deps, { cell: 'lobby', armoredKey: await (await c.request('/identity/public-key.asc')).text(), tier: t })
    viewers[t] = c
  }
  // Thread 1 on every board, two posts, by a cadre key; a question about post 2 of each.
  const cadre = viewers.cadre!
  const q = questionsOf(board)
  for (const slug of Object.keys(BOARDS)) {
    await cadre.get(`/c/lobby/${slug}`)
    expect((await cadre.post(`/c/lobby/${slug}`, { title: `SECRET-${slug}-title`, body: `SECRET-${slug}-one` })).res.status).toBe(303)
    await cadre.get(`/c/lobby/${slug}/t/1`)
    expect((await cadre.post(`/c/lobby/${slug}/t/1`, { body: `SECRET-${slug}-two` })).res.status).toBe(303)
    question[slug] = await q.raised(cadre, { kind: 'remove_post', board: slug, thread: '1', number: '2', principle: '1', argument: `SECRET-${slug}-argument` })
  }
})
afterAll(() => board.close())

describe('the access matrix: every address under a board × every tier and no session', () => {
  const under = (slug: string) => [
    `/c/lobby/${slug}`, `/c/lobby/${slug}?page=1`, `/c/lobby/${slug}?page=9`,
    `/c/lobby/${slug}/t/1`, `/c/lobby/${slug}/t/1?page=1`, `/c/lobby/${slug}/t/1?page=9`, `/c/lobby/${slug}/t/999`,
    `/c/lobby/${slug}/t/1/p/2`, `/c/lobby/${slug}/t/1/p/9`, `/c/lobby/${slug}/t/1/p/1.asc`, `/c/lobby/${slug}/t/999/p/1.asc`, `/c/lobby/${slug}/t/x`,
    `/c/lobby/${slug}/feed.atom`,
  ]
  // What a reader gets at each address (a page, a redirect to the post's page, a signed text, "not found", the feed).
  const readerStatus = [200, 200, 404, 200, 200, 404, 404, 303, 404, 200, 404, 404, 200]

  for (const slug of Object.keys(BOARDS) as (keyof typeof BOARDS)[]) {
    const [read] = BOARDS[slug]
    it(`board "${slug}" (read from ${read ?? 'anyone'}): pages, fragments and signed texts`, async () => {
      for (const v of VIEWERS) {
        const c = viewers[v]!
        const answers = new Set<string>()
        for (const [i, path] of under(slug).entries()) {
          for (const headers of [{}, { 'hx-request': 'true' }] as Record<string, string>[]) {
            const { res, text } = await c.get(path, headers)
            if (reaches(v, read)) {
              expect(res.status, `${v} ${path}`).toBe(readerStatus[i])
            } else {
              expect(res.status, `${v} ${path}`).toBe(403)
              expect(text, `${v} ${path}`).not.toContain(`SECRET-${slug}`)
              answers.add(`${JSON.stringify(headers)} ${normalised(text)}`)
            }
          }
        }
        // One answer per kind of request (page, fragment), whatever the address.
        if (!reaches(v, read)) expect(answers.size, v).toBe(2)
        if (reaches(v, read)) expect((await c.get(`/c/lobby/${slug}/t/1`)).text, v).toContain(`SECRET-${slug}-two`)
      }
    })

    it(`board "${slug}": its question and the question's bundle show the post only to its readers`, async () => {
      for (const v of VIEWERS) {
        const c = viewers[v]!
        const page = await c.get(`/c/lobby/questions/${question[slug]}`)
        const bundle = await c.get(`/c/lobby/questions/${question[slug]}/bundle.json`)
        // The bundle is made when the question closes (409 while open): the same for everyone.
        expect([page.res.status, bundle.res.status], v).toEqual([200, 409])
        for (const text of [page.text]) {
          if (reaches(v, read)) expect(text, v).toContain(`SECRET-${slug}-argument`)
          else expect(text, v).not.toContain(`SECRET-${slug}`)
        }
      }
    })
  }

  it('a reader below a board’s post tier, or off the roster, is offered no “Start a thread” and is told why as a post would be (not to log in)', async () => {
    // It was offered the link, which led to "to post, log in with one", said to a key logged in (a JS-off walkthrough).
    const below = 'Posting on this board is from the cell’s “member” tier up, and your key is not at that tier on the cell’s roster.'
    const supporter = (await viewers.supporter!.get('/c/lobby/wide')).text
    expect(supporter).not.toContain('<a href="#new-thread">')
    expect(unescape(supporter)).toContain(below)
    expect(supporter).not.toContain('Log in with')
    const thread = unescape((await viewers.supporter!.get('/c/lobby/wide/t/1')).text)
    expect(thread).toContain(below)
    // The same words a post there is refused with.
    const refused = await viewers.supporter!.post('/c/lobby/wide/t/1', { body: 'may I?' })
    expect(refused.res.status).toBe(403)
    expect(unescape(refused.text)).toContain(below)
    // A board refused for its tier points at the cell's page (its boards, tiers and questions), not only at the list of cells.
    for (const page of [await viewers['no session']!.get('/c/lobby/inner'), await viewers.supporter!.get('/c/lobby/inner/feed.atom')]) {
      expect(page.res.status).toBe(403)
      expect(unescape(page.text)).toContain('<a href="/c/lobby">This cell’s page: its boards and who reads each, its tiers, its line questions</a>')
    }
    // Off the roster, on a board anyone reads but members post to: the same; with no session, to log in.
    const general = 'Posting on this board is from the cell’s “member” tier up'
    await setBoardAccess(board.deps, { cell: 'lobby', board: 'general', read: 'anyone', post: 'member' })
    try {
      const off = unescape((await viewers['off the roster']!.get('/c/lobby/general')).text)
      expect(off).toContain(`${general}, and your key is not at that tier on the cell’s roster.`)
      expect(off).not.toContain('<a href="#new-thread">')
      const anonymous = unescape((await viewers['no session']!.get('/c/lobby/general')).text)
      expect(anonymous).toContain(`${general}. Log in with a key the cell has put at that tier.`)
    } finally {
      await setBoardAccess(board.deps, { cell: 'lobby', board: 'general', read: 'anyone', post: 'anyone' })
    }
    const member = (await viewers.member!.get('/c/lobby/wide')).text
    expect(member).toContain('<a href="#new-thread">')
    expect(member).toContain('<form method="post" action="/c/lobby/wide"')
  })

  it('search, across cells and within the cell: a board’s posts are found only by its readers', async () => {
    for (const slug of Object.keys(BOARDS) as (keyof typeof BOARDS)[]) {
      const [read] = BOARDS[slug]
      for (const v of VIEWERS) {
        for (const path of ['/search', '/c/lobby/search']) {
          const { res, text } = await viewers[v]!.get(`${path}?q=${encodeURIComponent(`SECRET-${slug}-two`)}`)
          expect(res.status, `${v} ${path} ${slug}`).toBe(200)
          if (reaches(v, read)) expect(text, `${v} ${path} ${slug}`).toContain(`/c/lobby/${slug}/t/1`)
          // (The page repeats the query in its field, so the link is what tells a result.)
          else expect(text, `${v} ${path} ${slug}`).not.toContain(`/c/lobby/${slug}/t/`)
        }
      }
    }
  })

  it('posting: a thread and a reply land from the board’s post tier up; below it, 403 and nothing stored', async () => {
    for (const slug of Object.keys(BOARDS) as (keyof typeof BOARDS)[]) {
      const [read, post] = BOARDS[slug]
      for (const v of VIEWERS) {
        const c = viewers[v]!
        const before = await board.count('post')
        await c.get('/identity')
        const reply = await c.post(`/c/lobby/${slug}/t/1`, { body: `reply by ${v}` })
        const thread = await c.post(`/c/lobby/${slug}`, { title: `by ${v}`, body: `thread by ${v}` })
        const may = v !== 'no session' && reaches(v, post)
        const statuses = [reply.res.status, thread.res.status]
        expect(statuses, `${v} on ${slug}: ${alertOf(reply.text) ?? ''}`).toEqual(may ? [303, 303] : [403, 403])
        expect(await board.count('post'), `${v} on ${slug}`).toBe(before + (may ? 2 : 0))
        // A reader below the post tier reads the board, and is told who posts there instead of a form.
        if (reaches(v, read) && !may && v !== 'no session') {
          const page = unescape((await c.get(`/c/lobby/${slug}`)).text)
          expect(page, v).toContain(`Posting here is for the cell’s ${post} and up`)
          expect(page, v).not.toContain('<form method="post" action="/c/lobby/' + slug + '"')
        }
      }
    }
  })

  it('the cell page, the letters form, the inbox: counts and downloads only from the inbox tier up; the same 404 as a missing page for anyone else', async () => {
    const missing = await viewers['no session']!.get('/c/lobby/nothing-here')
    for (const v of VIEWERS) {
      const c = viewers[v]!
      const cell = await c.get('/c/lobby')
      expect(cell.res.status).toBe(200)
      expect(unescape(cell.text)).toContain('supporter < member < cadre')
      expect((await c.get('/c/lobby/letters/new')).res.status, v).toBe(200)
      const inbox = await c.get('/c/lobby/letters')
      const download = await c.get('/c/lobby/letters/inbox.asc')
      if (reaches(v, 'cadre')) {
        expect([inbox.res.status, download.res.status], v).toEqual([200, 200])
        expect(cell.text, v).toContain('letters waiting')
      } else {
        expect([inbox.res.status, download.res.status], v).toEqual([404, 404])
        expect(normalised(inbox.text), v).toBe(normalised(download.text))
        expect(cell.text, v).not.toContain('waiting')
      }
    }
    expect(missing.res.status).toBe(404)
  })

  it('keys: a roster key (every one that can post on a board read from a tier) is published, like the roster', async () => {
    const fpr = (await viewers.cadre!.request('/identity/public-key.asc')).ok
    expect(fpr).toBe(true)
    for (const v of VIEWERS) {
      const page = await viewers[v]!.get('/c/lobby/inner/t/1/p/1.asc')
      if (!reaches(v, 'cadre')) expect(page.res.status).toBe(403)
    }
  })
})

describe('tiers change who may do what, at once', () => {
  it('a question moves a key to another tier; adopted, its reading changes at once, and the raise form offers the cell’s tiers', async () => {
    const q = questionsOf(board)
    const supporter = viewers.supporter!
    const fpr = await fingerprintOf(supporter)
    expect((await supporter.get('/c/lobby/inner')).res.status).toBe(403)
    const form = await viewers.cadre!.get('/c/lobby/questions/new?kind=move_key')
    for (const t of TIERS) expect(form.text).toContain(`value="${t}"`)
    // Bad input: a tier the cell does not have, a key not on the roster, the tier it has now.
    await viewers.cadre!.get('/c/lobby/questions/new?kind=move_key')
    const bad = await viewers.cadre!.post('/c/lobby/questions', { kind: 'move_key', fingerprint: fpr, tier: 'voter', argument: 'x' })
    expect(bad.res.status).toBe(422)
    expect(unescape(bad.text)).toContain('Choose one of the cell’s tiers: supporter, member, cadre.')
    await viewers.cadre!.get('/c/lobby/questions/new?kind=move_key')
    const same = await viewers.cadre!.post('/c/lobby/questions', { kind: 'move_key', fingerprint: fpr, tier: 'supporter', argument: 'x' })
    expect(unescape(same.text)).toContain('already at the tier supporter')
    const n = await q.raised(viewers.cadre!, { kind: 'move_key', fingerprint: fpr, tier: 'cadre', argument: 'Trusted now.' })
    expect(unescape((await viewers.cadre!.get(`/c/lobby/questions/${n}`)).text)).toContain('from the tier <b>supporter</b> to <b>cadre</b>')
    await q.voteOk({ c: viewers.cadre!, fpr: await fingerprintOf(viewers.cadre!) }, n, 'yes')
    // Closed as the timer closes it at its deadline: the only voter said yes.
    const row = await board.deps.db.selectFrom('question').selectAll().where('number', '=', n).executeTakeFirstOrThrow()
    expect(await closeQuestion(board.deps, row)).toBe('adopted')
    expect((await supporter.get('/c/lobby/inner')).res.status).toBe(200)
    expect(await board.column("select key_rotation_due from cell where slug = 'lobby'")).toEqual([null])

    // Moved back below the tier that reads the letters: it has read them, so the cell key ought to be rotated.
    const down = await q.raised(viewers.cadre!, { kind: 'move_key', fingerprint: fpr, tier: 'member', argument: 'Stepped back.' })
    await q.voteOk({ c: viewers.cadre!, fpr: await fingerprintOf(viewers.cadre!) }, down, 'yes')
    await q.voteOk({ c: supporter, fpr }, down, 'yes')
    const again = await board.deps.db.selectFrom('question').selectAll().where('number', '=', down).executeTakeFirstOrThrow()
    expect(await closeQuestion(board.deps, again)).toBe('adopted')
    expect((await supporter.get('/c/lobby/inner')).res.status).toBe(403)
    expect((await supporter.get('/c/lobby/letters')).res.status).toBe(404)
    expect(unescape((await board.client().get('/c/lobby')).text)).toContain('The cell key should be rotated.')
  })

  it('the operator: tiers in use cannot go, a post tier below the read tier is refused, and a board’s tiers change its pages at once', async () => {
    await expect(setCellTiers(board.deps, { cell: 'lobby', tiers: 'supporter,cadre' })).rejects.toThrow(/member .*move them first/)
    await expect(setCellTiers(board.deps, { cell: 'lobby', tiers: 'a,a' })).rejects.toThrow(/named once/)
    await expect(setCellTiers(board.deps, { cell: 'lobby', tiers: TIERS.join(','), vote: 'boss' })).rejects.toThrow(/"boss" is not one of the cell’s tiers/)
    await expect(setBoardAccess(board.deps, { cell: 'lobby', board: 'wide', read: 'member', post: 'supporter' })).rejects.toThrow(/Nobody may post where they cannot read/)
    const member = viewers.member!
    expect((await member.get('/c/lobby/wide/t/1')).res.status).toBe(200)
    await setBoardAccess(board.deps, { cell: 'lobby', board: 'wide', read: 'cadre' })
    expect((await member.get('/c/lobby/wide/t/1')).res.status).toBe(403)
    await setBoardAccess(board.deps, { cell: 'lobby', board: 'wide', read: 'supporter', post: 'member' })
    expect((await member.get('/c/lobby/wide/t/1')).res.status).toBe(200)
  })
})

async function fingerprintOf(c: Client): Promise<string> {
  const page = (await c.get('/identity')).text
  return /([0-9a-f]{40})/.exec(page)![1]!
}
