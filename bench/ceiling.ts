// The ceiling: NOT part of the product. The same stack as the server (Hono on @hono/node-server)
// answering one route with constant bytes (a page fetched once from the real server) and the same
// Content-Type, and nothing else: no middleware, no database, no per-request work. A page's
// req/s divided by its ceiling's says how much of the HTTP stack's capacity the page leaves.
//
//   node --import tsx bench/ceiling.ts BODY_FILE CONTENT_TYPE [PATH]
//
// serves BODY_FILE's bytes at PATH (default /) on 127.0.0.1, a free port, and prints
// "ceiling: listening on http://127.0.0.1:PORT". pages.ts runs it as a child process, as the
// real server is, so the load generator never shares its event loop with the server.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'

export function ceilingApp(bytes: Uint8Array<ArrayBuffer>, contentType: string, path = '/') {
  const app = new Hono()
  app.get(path, (c) => c.body(bytes, 200, { 'Content-Type': contentType }))
  return app
}

export function startCeiling(bytes: Uint8Array<ArrayBuffer>, contentType: string, path = '/'): Promise<{ url: string; server: ServerType }> {
  return new Promise((resolveUrl) => {
    const server = serve({ fetch: ceilingApp(bytes, contentType, path).fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      resolveUrl({ url: `http://127.0.0.1:${info.port}`, server })
    })
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, contentType, path = '/'] = process.argv.slice(2)
  if (!file || !contentType) {
    console.error('usage: node --import tsx bench/ceiling.ts BODY_FILE CONTENT_TYPE [PATH]')
    process.exit(2)
  }
  const bytes = new Uint8Array(readFileSync(file))
  const { url, server } = await startCeiling(bytes, contentType, path)
  console.log(`ceiling: listening on ${url} (${bytes.length} bytes at ${path})`)
  const stop = () => server.close(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
