import { type DataClass, ephemeral, neverKept, registry } from '../db/registry.ts'
import type { Deps } from './deps.ts'

/** A catalog message (its full key) and the values it fills in. */
export type Sentence = { key: string; values?: Record<string, string> }
export type PrivacyTable = { name: string; about: Sentence; columns: { name: string; cls: DataClass; why: Sentence }[] }

/**
 * Each table and column of the data-class registry with the catalog sentence that says why it is
 * kept: "privacy.<table>__about" and "privacy.<table>__<column>", or the shared sentences a table
 * names with `says` (SQLite's full-text index). tests/db/registry.test.ts checks every one exists.
 */
export function privacyTables(): PrivacyTable[] {
  return Object.entries(registry).map(([name, t]) => {
    const prefix = `privacy.${t.says?.key ?? name}__`
    const values = t.says ? { over: t.says.over } : undefined
    return {
      name,
      about: { key: `${prefix}about`, values },
      columns: Object.entries(t.columns).map(([column, [cls]]) => ({ name: column, cls, why: { key: `${prefix}${column}`, values } })),
    }
  })
}

/** What the /privacy page says, straight from the data-class registry the tests check against the schema. */
export function privacyFacts(deps: Pick<Deps, 'config'>) {
  return {
    tables: privacyTables(),
    ephemeral: ephemeral.map((name) => ({ what: `privacy.ephemeral__${name}`, why: `privacy.ephemeral__${name}__why` })),
    neverKept: neverKept.map((name) => `privacy.never__${name}`),
    granularityMinutes: deps.config.timeGranularityMs / 60_000,
    sessionHours: deps.config.sessionIdleMs / 3600_000,
  }
}
