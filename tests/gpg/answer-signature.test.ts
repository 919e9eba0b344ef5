import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'
import { questionsOf } from '../support/questions.ts'

// A published answer to a letter is signed like any post: real GnuPG (Debian's gnupg) checks both
// of its posts with the key the server published for the decision.
let board: Awaited<ReturnType<typeof makeBoard>>
let gpg: Gpg
beforeAll(async () => {
  board = await makeBoard()
  gpg = new Gpg()
})
afterAll(async () => {
  await board.close()
  gpg.close()
})

describe('a published answer verifies with GnuPG', () => {
  it('gpg --verify accepts both posts of an adopted answer with the decision’s published key, and rejects a tampered reply', async () => {
    const q = questionsOf(board)
    const v = await q.threeVoters()
    const n = await q.raised(v.gpg.c, { kind: 'publish_answer', board: 'general', text: 'Do you meet in winter?\n\n- even in January?', answer: 'Yes, indoors.', reference: '7KQM-2XPA-9DRT-4HWB', argument: 'Asked often.' })
    await q.voteOk(v.disposable, n, 'yes')
    await q.voteOk(v.other, n, 'yes')
    const decided = (await board.client().get(`/c/lobby/questions/${n}`)).text
    const thread = /Published as <a href="(\/c\/lobby\/general\/t\/\d+)">/.exec(decided)![1]!

    const threadPage = (await board.client().get(thread)).text
    const fpr = /<a href="\/k\/([0-9a-f]+)\.asc">key<\/a>/.exec(threadPage)![1]!
    writeFileSync(join(gpg.home, 'key.asc'), await (await board.client().request(`/k/${fpr}.asc`)).text())
    expect(gpg.run(['--import', join(gpg.home, 'key.asc')]).status).toBe(0)
    for (const number of [1, 2]) {
      const file = join(gpg.home, `post${number}.asc`)
      writeFileSync(file, await (await board.client().request(`${thread}/p/${number}.asc`)).text())
      const r = gpg.verify(file)
      expect(r.status, r.err).toBe(0)
      expect(r.err).toContain(`Good signature from "cellboard decision ${n} of lobby"`)
    }
    const reply = await (await board.client().request(`${thread}/p/2.asc`)).text()
    writeFileSync(join(gpg.home, 'tampered.asc'), reply.replace('Yes, indoors.', 'No, never.'))
    const bad = gpg.verify(join(gpg.home, 'tampered.asc'))
    expect(bad.status).not.toBe(0)
    expect(bad.err).toContain('BAD signature')
  })
})
