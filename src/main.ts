import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { loadConfig } from './config.ts'
import { migrateToLatest, openDatabase } from './db/connect.ts'
import { CsrfTokens } from './ephemeral/csrf.ts'
import { MemoryChallengeStore } from './ephemeral/challenges.ts'
import { MemoryRateLimiter } from './ephemeral/rate-limits.ts'
import { MemorySessionStore } from './ephemeral/sessions.ts'
import { ensureDefaultCell } from './services/cells.ts'
import { dataVersion } from './db/forget.ts'
import { purge } from './services/forget.ts'
import { closeDueQuestions } from './services/questions.ts'
import { PageCache } from './services/page-cache.ts'

// The only place that reads the environment, opens the database and listens.
// Nothing here logs requests: there is no access log, by design.
const config = loadConfig(process.env)
mkdirSync(config.dataDir, { recursive: true })
const { db } = openDatabase(join(config.dataDir, 'cellboard.db'))
await migrateToLatest(db)
const deps = { db, config, sessions: new MemorySessionStore(config.sessionIdleMs), challenges: new MemoryChallengeStore(), rateLimits: new MemoryRateLimiter(), csrf: new CsrfTokens(), cache: new PageCache(), now: Date.now }

if (await ensureDefaultCell(deps)) {
  console.log(`cellboard: created the cell "${config.defaultCell}" with a public board; create real cells with: npm run cellboard -- cell create SLUG --name NAME --principle TEXT`)
}

// Forget what is due since the last run (retention), then keep doing so on a timer. Errors are
// reported without detail about content.
await purge(deps)
// The purge also runs on a timer (retention, keys that sign nothing). Errors are reported
// without detail about content.
const purgeTimer = setInterval(() => {
  purge(deps).catch((e: Error) => console.error(`cellboard: purge failed: ${e.message}`))
}, config.purgeIntervalMs)
purgeTimer.unref()

// Another process (the CLI's post/thread remove, or its purge) may change the database: when
// it has, drop every cached page so nothing removed is served from memory. Checked once a second.
let seenVersion = await dataVersion(db)
const versionTimer = setInterval(async () => {
  const v = await dataVersion(db)
  if (v !== seenVersion) deps.cache.clear()
  seenVersion = v
}, 1000)
versionTimer.unref()

// Questions past their deadline close (and their decisions are carried out) within a minute.
const closeTimer = setInterval(() => {
  closeDueQuestions(deps).catch((e: Error) => console.error(`cellboard: closing questions failed: ${e.message}`))
}, 60_000)
closeTimer.unref()

const server = serve({ fetch: createApp(deps).fetch, hostname: config.host, port: config.port }, (info) => {
  console.log(`cellboard: listening on http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`)
})

function shutdown() {
  clearInterval(purgeTimer)
  clearInterval(closeTimer)
  clearInterval(versionTimer)
  server.close()
  deps.sessions.close()
  deps.challenges.close()
  deps.rateLimits.close()
  void db.destroy().then(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
