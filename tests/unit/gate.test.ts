import { describe, expect, it } from 'vitest'
import { Gate, GateDeadline } from '../../src/ephemeral/gate.ts'

// The gate searches go through (ephemeral/gate.ts): so many at once, so many waiting in the order
// they came, the rest refused at once; a place is freed however the work ends.
describe('Gate', () => {
  it('runs atOnce, queues waiting in order, refuses the rest, and frees places on success and failure', async () => {
    const gate = new Gate(1, 2, 60_000)
    const order: string[] = []
    const opened: Record<string, () => void> = {}
    const failed: Record<string, () => void> = {}
    const job = (name: string) => () =>
      new Promise<string>((ok, no) => {
        order.push(name)
        opened[name] = () => ok(name)
        failed[name] = () => no(new Error(name))
      })
    const a = gate.run(job('a'))
    const b = gate.run(job('b'))
    const c = gate.run(job('c'))
    expect(await gate.run(job('d'))).toBeNull()
    expect(gate.load).toEqual({ running: 1, waiting: 2 })
    expect(order).toEqual(['a'])
    failed.a!()
    await expect(a).rejects.toThrow('a')
    await Promise.resolve()
    expect(order).toEqual(['a', 'b'])
    expect(gate.load).toEqual({ running: 1, waiting: 1 })
    opened.b!()
    expect(await b).toEqual({ value: 'b' })
    await Promise.resolve()
    expect(order).toEqual(['a', 'b', 'c'])
    opened.c!()
    expect(await c).toEqual({ value: 'c' })
    expect(gate.load).toEqual({ running: 0, waiting: 0 })
    const e = gate.run(async () => 'e')
    expect(await e).toEqual({ value: 'e' })
  })

  it('gives the place of work held past its deadline to the next, and drops the late answer', async () => {
    const gate = new Gate(1, 1, 50)
    let late!: (v: string) => void
    const stuck = gate.run(() => new Promise<string>((ok) => (late = ok)))
    const next = gate.run(async () => 'next')
    await expect(stuck).rejects.toBeInstanceOf(GateDeadline)
    expect(await next).toEqual({ value: 'next' })
    late('too late')
    expect(gate.load).toEqual({ running: 0, waiting: 0 })
  })

  it('drops a waiter whose asker is gone (its place in the queue freed, its work never run), and refuses one gone before it asked', async () => {
    const gate = new Gate(1, 1, 60_000)
    let done!: () => void
    const first = gate.run(() => new Promise<string>((ok) => (done = () => ok('first'))))
    const gone = new AbortController()
    let ran = false
    const waiter = gate.run(async () => ((ran = true), 'waiter'), gone.signal)
    expect(gate.load).toEqual({ running: 1, waiting: 1 })
    gone.abort()
    expect(await waiter).toBeNull()
    expect(gate.load).toEqual({ running: 1, waiting: 0 })
    const next = gate.run(async () => 'next')
    expect(gate.load).toEqual({ running: 1, waiting: 1 })
    done()
    expect(await first).toEqual({ value: 'first' })
    expect(await next).toEqual({ value: 'next' })
    expect(ran).toBe(false)
    expect(await gate.run(async () => 'never', gone.signal)).toBeNull()
    expect(gate.load).toEqual({ running: 0, waiting: 0 })
  })
})
