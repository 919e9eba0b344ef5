import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'

// The route table at the top of src/app.ts is for people: this keeps it true. Every route the app
// answers is listed there with its method, and nothing is listed that the app does not answer.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeAll(async () => {
  board = await makeBoard()
})
afterAll(() => board.close())

/** "/c/:cell/:board/t/:thread{[0-9]+}" → "/c/:cell/:board/t/:thread" */
const plain = (path: string) => path.replace(/\{(?:[^{}]|\{[^{}]*\})*\}/g, '')

describe('the route table in src/app.ts', () => {
  it('lists exactly the routes the app answers', () => {
    const source = readFileSync(new URL('../../src/app.ts', import.meta.url), 'utf8')
    const listed = [...source.matchAll(/^\/\/ {3}(GET|POST|ALL)\s+(\/\S*)/gm)].map((m) => `${m[1]} ${m[2]}`).sort()
    // Middleware is registered as ALL on "*" or "/*": not a route.
    const answered = [...new Set(board.app.routes.filter((r) => !['*', '/*'].includes(r.path)).map((r) => `${r.method} ${plain(r.path)}`))].sort()
    expect(listed.length).toBeGreaterThan(20)
    expect(listed).toEqual(answered)
  })
})
