import { afterEach, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'
import { COSTS_ON, takePaidIdentity } from '../support/costs.ts'

// Flood mode (issue 11, "Abuse without addresses"): when a board gets more than
// FLOOD_POSTS_PER_MINUTE posts in a minute, or the operator turns it on, every post there costs a
// proof of work or a puzzle until the rate falls back. A low threshold keeps these tests fast.
const FLOOD = { ...COSTS_ON, FLOOD_POSTS_PER_MINUTE: '5', FLOOD_HOLD_MINUTES: '10' }

let board: Awaited<ReturnType<typeof makeBoard>>
let clock: number
async function open(env: Record<string, string> = {}) {
  clock = Date.now()
  board = await makeBoard({ ...FLOOD, ...env }, () => clock)
  return board
}
afterEach(() => board?.close())

async function poster(): Promise<Client> {
  const c = board.client()
  await takePaidIdentity(c)
  await c.get('/c/lobby/general')
  return c
}

describe('flood mode: the attack', () => {
  it('100 posts in a minute on one board: past the threshold, none lands without paying a cost', async () => {
    await open()
    const c = await poster()
    const statuses: number[] = []
    for (let i = 0; i < 100; i++) statuses.push((await c.post('/c/lobby/general', { title: `Flood ${i}`, body: 'FLOODTEXT' })).res.status)
    // The threshold's posts and the one that passes it land; every one after that is refused.
    expect(statuses.slice(0, 6)).toEqual(Array(6).fill(303))
    expect(statuses.slice(6)).toEqual(Array(94).fill(422))
    expect(await board.count('post')).toBe(6)
  })
})
