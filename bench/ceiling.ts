// The ceiling: NOT part of the product. The same stack as the server (Hono on @hono/node-server)
// answering one route with a page's constant bytes and Content-Type, and nothing else. A page's
// req/s divided by its ceiling's, in the same run, says how much of the HTTP stack it leaves.
//   node --import tsx bench/ceiling.ts BODY_FILE CONTENT_TYPE [PATH]   (harness.ts startCeiling)
import { readFileSync } from 'node:fs'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const [file, contentType, path = '/'] = process.argv.slice(2)
if (!file || !contentType) throw new Error('usage: node --import tsx bench/ceiling.ts BODY_FILE CONTENT_TYPE [PATH]')
const bytes = new Uint8Array(readFileSync(file))
const app = new Hono().get(path, (c) => c.body(bytes, 200, { 'Content-Type': contentType }))
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log(`ceiling: listening on http://127.0.0.1:${info.port} (${bytes.length} bytes at ${path})`))
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
