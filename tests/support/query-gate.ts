import { TableNode, type KyselyPlugin, type RootOperationNode } from 'kysely'
import type { Deps } from '../../src/services/deps.ts'

/** A select from `table` (as the query builder makes it), or any query when `table` is undefined. */
const selectsFrom = (node: RootOperationNode, table: string | undefined) =>
  table === undefined || (node.kind === 'SelectQueryNode' && node.from?.froms.some((f) => TableNode.is(f) && f.table.identifier.name === table) === true)

/**
 * A Kysely plugin for races, put on `deps.db` until restore(). across(read, meanwhile) holds the
 * rows of read's first query (or its first select from `table`) until meanwhile() has run to its
 * end, so a test can land a write while a read is on its way. It also counts the queries sent.
 */
export function queryGate(deps: Pick<Deps, 'db'>, table?: string) {
  let holding = false
  let queries = 0
  const chosen = new WeakSet<object>()
  const waiting: (() => void)[] = []
  let heldOne = () => {}
  const plugin: KyselyPlugin = {
    transformQuery(a) {
      queries++
      if (holding && selectsFrom(a.node, table)) {
        holding = false
        chosen.add(a.queryId)
      }
      return a.node
    },
    async transformResult(a) {
      if (chosen.has(a.queryId)) {
        heldOne()
        await new Promise<void>((r) => waiting.push(r))
      }
      return a.result
    },
  }
  const db = deps.db
  deps.db = db.withPlugin(plugin)
  return {
    queries: () => queries,
    restore: () => void (deps.db = db),
    async across<T>(read: () => Promise<T>, meanwhile: () => unknown): Promise<T> {
      const held = new Promise<void>((r) => (heldOne = r))
      holding = true
      const slow = read()
      await held
      try {
        await meanwhile()
      } finally {
        waiting.splice(0).forEach((r) => r())
      }
      return slow
    },
  }
}

/** What `read()` returns, read across `meanwhile()` (queryGate's across), `deps.db` given back after. */
export async function readAcross<T>(deps: Pick<Deps, 'db'>, read: () => Promise<T>, meanwhile: () => unknown, table?: string): Promise<T> {
  const g = queryGate(deps, table)
  try {
    return await g.across(read, meanwhile)
  } finally {
    g.restore()
  }
}

/**
 * What `read()` returns when the rows of its first page read through Storage.readRows (SQLite's
 * reader thread, PostgreSQL's read pool: a Kysely plugin on `deps.db` does not see them) are held
 * until `meanwhile()` has run.
 */
export async function pageReadAcross<T>(storage: Pick<Deps['storage'], 'readRows'>, read: () => Promise<T>, meanwhile: () => Promise<unknown>): Promise<T> {
  const own = storage.readRows
  if (!own) throw new Error('this storage reads pages on deps.db: use readAcross')
  let held: () => void = () => {}
  const reached = new Promise<void>((r) => (held = r))
  let release: () => void = () => {}
  const released = new Promise<void>((r) => (release = r))
  storage.readRows = (async (query) => {
    const rows = await own(query)
    storage.readRows = own
    held()
    await released
    return rows
  }) as typeof own
  try {
    const slow = read()
    await reached
    await meanwhile()
    release()
    return await slow
  } finally {
    storage.readRows = own
    release()
  }
}
