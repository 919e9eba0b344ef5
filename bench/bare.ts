// The stack's own limit: NOT part of the product. Bare node:http answering every request with one
// response's exact bytes and headers (as cellboard sent them), and nothing else. bench/static.ts
// compares cellboard's thread page with it, and with nginx serving the same bytes.
//   node --import tsx bench/bare.ts BODY_FILE HEADERS_JSON
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [file, headersFile] = process.argv.slice(2)
if (!file || !headersFile) throw new Error('usage: node bench/bare.ts BODY_FILE HEADERS_JSON')
const body = readFileSync(file)
const headers = { ...(JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>), 'content-length': String(body.length) }
const server = createServer((_req, res) => {
  res.writeHead(200, headers)
  res.end(body)
})
server.keepAliveTimeout = 15_000
server.listen(0, '127.0.0.1', () => {
  const a = server.address()
  console.log(`bare: listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0} (${body.length} bytes)`)
})
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
