import { ephemeral, neverKept, registry } from '../db/registry.ts'
import type { Deps } from './deps.ts'

/** What the /privacy page says, straight from the data-class registry the tests check against the schema. */
export function privacyFacts(deps: Pick<Deps, 'config'>) {
  return {
    tables: Object.entries(registry).map(([name, t]) => ({ name, about: t.about, columns: Object.entries(t.columns) })),
    ephemeral,
    neverKept,
    granularityMinutes: deps.config.timeGranularityMs / 60_000,
    sessionHours: deps.config.sessionIdleMs / 3600_000,
  }
}
