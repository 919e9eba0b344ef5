import { createServer as createNodeServer, type RequestListener, type ServerOptions } from 'node:http'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { earlyAnswers, wholePageBeforeApp } from './http/middleware/whole-page-cache.ts'
import { answerEarlyOnSockets } from './http/early-socket.ts'
import { openDeps } from './compose.ts'
import { loadConfig } from './config.ts'
import { ensureDefaultCell } from './services/cells.ts'
import { purge } from './services/forget.ts'
import { closeDueQuestions } from './services/questions/decide.ts'
import { langOfEnvironment, setFallbackLang, t } from './i18n/index.ts'

// The only place that reads the environment and listens; the dependencies come from the one
// composition root (compose.ts). Nothing here logs requests: there is no access log, by design.
const config = loadConfig(process.env)
// The operator's lines below are in the language of the server's environment (CELLBOARD_LANG, LANG);
// each request is in its reader's or its cell's (http/middleware/language.ts).
setFallbackLang(langOfEnvironment(process.env))
const { deps, storage, close } = await openDeps(config, { watch: true })
for (const problem of await storage.forgettingProblems()) console.error(t('app.log_warning', { problem }))
if (config.markCachedAnswers) console.error(t('app.log_warning', { problem: t('app.marked_cached_answers') }))

if (await ensureDefaultCell(deps)) {
  console.log(t('app.log_default_cell', { cell: config.defaultCell, command: 'npm run cellboard -- cell create SLUG --name NAME --principle TEXT' }))
}

// Forget what is due since the last run (retention), then keep doing so on a timer. Errors are
// reported without detail about content.
await purge(deps)
const purgeTimer = setInterval(() => {
  purge(deps).catch((e: Error) => console.error(t('app.log_purge_failed', { error: e.message })))
}, config.purgeIntervalMs)
purgeTimer.unref()

// Questions past their deadline close (and their decisions are carried out) within a minute.
const closeTimer = setInterval(() => {
  closeDueQuestions(deps).catch((e: Error) => console.error(t('app.log_close_failed', { error: e.message })))
}, 60_000)
closeTimer.unref()

// Slow clients hold sockets for as long as Node lets them (a body a byte every 5 s: 323 s). Node
// checks the header and request deadlines every connectionsCheckingInterval (30 s by default):
// once a second keeps them close to what they say.
const serverOptions = {
  headersTimeout: config.headersTimeoutMs,
  requestTimeout: config.requestTimeoutMs,
  keepAliveTimeout: config.keepAliveTimeoutMs,
  connectionsCheckingInterval: 1000,
}
// A page cached whole for readers without a session, or kept for a reader with one, is written
// before Hono sees the request (http/middleware/whole-page-cache.ts); everything else goes to the app.
// Earlier still, a connection's plain GETs for such pages are answered on the socket, before Node's
// HTTP layer, until its first other request hands it to Node (http/early-socket.ts).
const cached = wholePageBeforeApp(deps)
let early: { close: () => void } | undefined
const createServer = ((options: ServerOptions, app: RequestListener) => {
  const server = createNodeServer(options, (req, res) => {
    const sent = cached(req, res)
    if (sent === false) app(req, res)
    else if (sent !== true) sent.then((yes) => yes || app(req, res), () => app(req, res))
  })
  early = answerEarlyOnSockets(server, earlyAnswers(deps), { headersMs: config.headersTimeoutMs, keepAliveMs: config.keepAliveTimeoutMs, requestMs: config.requestTimeoutMs })
  return server
}) as typeof createNodeServer
const server = serve({ fetch: createApp(deps).fetch, hostname: config.host, port: config.port, serverOptions, createServer }, (info) => {
  console.log(t('app.log_listening', { address: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`, storage: `${storage.dialect}${config.redisUrl ? ', redis' : ''}` }))
})
// Past the cap, Node closes a new connection at once instead of letting it wait for memory.
;(server as import('node:http').Server).maxConnections = config.maxConnections
// A client that stops reading a response (or sends nothing at all) is let go too.
server.setTimeout(config.requestTimeoutMs)

function shutdown() {
  clearInterval(purgeTimer)
  clearInterval(closeTimer)
  early?.close()
  server.close()
  void close().then(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
