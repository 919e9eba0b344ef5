import { TableNode, type KyselyPlugin, type RootOperationNode } from 'kysely'
import type { Deps } from '../../src/services/deps.ts'

/** A select from `table` (as the query builder makes it), or any query when `table` is undefined. */
const selectsFrom = (node: RootOperationNode, table: string | undefined) =>
  table === undefined || (node.kind === 'SelectQueryNode' && node.from?.froms.some((f) => TableNode.is(f) && f.table.identifier.name === table) === true)

/**
 * A Kysely plugin for races: after hold(), the rows of the next query (or the next select from
 * `table`) wait until release(), so a test can land a write while a read is on its way; `held`
 * resolves once they wait. It also counts the queries sent. Use it as `deps.db = db.withPlugin(g.plugin)`.
 */
export function queryGate(table?: string) {
  let holding = false
  let queries = 0
  const chosen = new WeakSet<object>()
  const waiting: (() => void)[] = []
  let heldOne = () => {}
  const held = new Promise<void>((r) => (heldOne = r))
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
  return { plugin, held, queries: () => queries, hold: () => (holding = true), release: () => waiting.splice(0).forEach((r) => r()) }
}

/**
 * What `read()` returns, its first query's rows (or its first select's from `table`) held until
 * `meanwhile()` has run to its end: a write landing while a read is on its way. `deps.db` is
 * wrapped for the while and given back after.
 */
export async function readAcross<T>(deps: Pick<Deps, 'db'>, read: () => Promise<T>, meanwhile: () => Promise<unknown>, table?: string): Promise<T> {
  const g = queryGate(table)
  const db = deps.db
  deps.db = db.withPlugin(g.plugin)
  try {
    g.hold()
    const slow = read()
    await g.held
    try {
      await meanwhile()
    } finally {
      g.release()
    }
    return await slow
  } finally {
    deps.db = db
  }
}
