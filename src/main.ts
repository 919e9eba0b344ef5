import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { loadConfig } from './config.ts'
import { migrateToLatest, openDatabase } from './db/connect.ts'
import { CsrfTokens } from './ephemeral/csrf.ts'
import { MemoryChallengeStore } from './ephemeral/challenges.ts'
import { MemorySessionStore } from './ephemeral/sessions.ts'
import { ensureDefaultCell } from './services/cells.ts'
import { PageCache } from './services/page-cache.ts'

// The only place that reads the environment, opens the database and listens.
// Nothing here logs requests: there is no access log, by design.
const config = loadConfig(process.env)
mkdirSync(config.dataDir, { recursive: true })
const { db } = openDatabase(join(config.dataDir, 'cellboard.db'))
await migrateToLatest(db)
const deps = { db, config, sessions: new MemorySessionStore(config.sessionIdleMs), challenges: new MemoryChallengeStore(), csrf: new CsrfTokens(), cache: new PageCache(), now: Date.now }

if (await ensureDefaultCell(deps)) {
  console.log(`cellboard: created the cell "${config.defaultCell}" with a public board; create real cells with: npm run cellboard -- cell create SLUG --name NAME --principle TEXT`)
}

const server = serve({ fetch: createApp(deps).fetch, hostname: config.host, port: config.port }, (info) => {
  console.log(`cellboard: listening on http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`)
})

function shutdown() {
  server.close()
  deps.sessions.close()
  deps.challenges.close()
  void db.destroy().then(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
