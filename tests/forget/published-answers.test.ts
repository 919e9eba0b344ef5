import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBoard } from '../../src/services/cells.ts'
import { deleteThreads } from '../../src/db/threads.ts'
import { purge, removePost, removeThread } from '../../src/services/forget.ts'
import { makeBoard } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { questionsOf } from '../support/questions.ts'

// An adopted "publish an answer to a letter" keeps what it published in its question: the letter
// as typed and the cell's answer, shown on the question's page and in its tally bundle. Until
// this, removing the thread (or one of its two posts, or the board's retention forgetting it) left
// both there and in the database files: the words the cell or its operator had removed stayed
// public. Now the copy goes with the post that published it, and the purge leaves no trace.

let board: Awaited<ReturnType<typeof makeBoard>>
// The real clock (GnuPG signs the voters' ballots by it), moved on for the retention's days.
let later = 0
beforeEach(async () => {
  later = 0
  board = await makeBoard({}, () => Date.now() + later)
})
afterEach(() => board.close())

const page = async (path: string) => unescape((await board.client().get(path)).text)
const bundle = async (n: number) => (await (await board.client().request(`/c/lobby/questions/${n}/bundle.json`)).text())

/** A letter and its answer, published by decision on `on`: the question's number, its thread's, and the markers in each. */
async function published(on = 'general') {
  const q = questionsOf(board)
  const v = await q.threeVoters()
  const letter = `LETTER${randomBytes(8).toString('hex')}`
  const answer = `ANSWER${randomBytes(8).toString('hex')}`
  const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: on, text: `My landlord is ${letter}.`, answer: `Meet your neighbours, ${answer}.`, reference: '', argument: 'Others ask the same.' })
  await q.voteOk(v.disposable, n, 'yes')
  await q.voteOk(v.other, n, 'yes')
  const thread = Number(/Published as <a href="\/c\/lobby\/[a-z]+\/t\/(\d+)">/.exec(await page(`/c/lobby/questions/${n}`))?.[1])
  expect(thread).toBeGreaterThan(0)
  // Before: the question shows both, its bundle holds both, and so do the files.
  const shown = await page(`/c/lobby/questions/${n}`)
  expect(shown).toContain(letter)
  expect(shown).toContain(answer)
  expect(await bundle(n)).toContain(letter)
  expect(Object.keys(await board.findPresentMarkers([letter, answer])).sort()).toEqual([answer, letter])
  return { n, thread, letter, answer }
}

describe('a published answer’s copy in its question goes with what it published', () => {
  it('the thread removed (operator): the question no longer shows the letter or the answer, its bundle neither, and the files hold neither', async () => {
    const { n, thread, letter, answer } = await published()
    await removeThread(board.deps, { cell: 'lobby', board: 'general', thread })
    const shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).toContain('Decision: Adopted')
    expect(shown).not.toContain(letter)
    expect(shown).not.toContain(answer)
    expect(shown).toContain('Removed with the post that published it.')
    // No link to the thread that is gone: it says it was removed.
    expect(shown).toContain(`Published as thread ${thread} on “general”, removed since.`)
    expect(shown).not.toContain(`href="/c/lobby/general/t/${thread}"`)
    const b = await bundle(n)
    expect(b).not.toContain(letter)
    expect(b).not.toContain(answer)
    const left = await board.findMarkers([letter, answer])
    expect(left, JSON.stringify(left)).toEqual({})
  })

  it('only the letter’s post removed: its copy goes, the answer (still published) stays; then the answer’s post, and its copy', async () => {
    const { n, thread, letter, answer } = await published()
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread, number: 1 })
    let shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).not.toContain(letter)
    expect(shown).toContain(answer)
    expect(await board.findMarkers([letter])).toEqual({})
    await removePost(board.deps, { cell: 'lobby', board: 'general', thread, number: 2 })
    shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).not.toContain(answer)
    const left = await board.findMarkers([letter, answer])
    expect(left, JSON.stringify(left)).toEqual({})
  })

  it('a thread removed before copies were forgotten with it (or an archive imported without it): the next purge forgets the copy', async () => {
    const { n, thread, letter, answer } = await published()
    // Deleted as removals did until now, leaving the question as it was.
    await board.deps.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('thread').select('id').where('number', '=', thread).executeTakeFirstOrThrow()
      await deleteThreads(tx, [row.id])
    })
    expect(await page(`/c/lobby/questions/${n}`)).toContain(letter)
    await purge(board.deps)
    const shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).not.toContain(letter)
    expect(shown).not.toContain(answer)
    const left = await board.findMarkers([letter, answer])
    expect(left, JSON.stringify(left)).toEqual({})
  })

  it('the thread forgotten by its board’s retention: the copy is forgotten with it', async () => {
    await createBoard(board.deps, { cell: 'lobby', slug: 'brief', name: 'Brief', description: '', retentionDays: 2 })
    const { n, letter, answer } = await published('brief')
    later += 3 * 86_400_000
    expect((await purge(board.deps)).threads).toBe(1)
    const shown = await page(`/c/lobby/questions/${n}`)
    expect(shown).not.toContain(letter)
    expect(shown).not.toContain(answer)
    const left = await board.findMarkers([letter, answer])
    expect(left, JSON.stringify(left)).toEqual({})
  })
})
