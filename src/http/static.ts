import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { transformSync } from 'esbuild'
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'
import { acceptsGzip, gzipOnce } from './compression.ts'

// Files served from our own origin, read once at start. htmx comes from the pinned npm package
// (package-lock.json fixes its version), never from a CDN.
const require = createRequire(import.meta.url)
const staticDir = fileURLToPath(new URL('../../static/', import.meta.url))

const JS = 'text/javascript; charset=utf-8'
const read = (path: string) => new Uint8Array(readFileSync(path))

// Our own modules go out minified by esbuild (read once, at start): a first visit with JS on over
// Tor carries every one of them, and their comments were more than a third of their bytes. The
// readable source is what is in static/.
const ours = (name: string) => new Uint8Array(Buffer.from(transformSync(readFileSync(staticDir + name, 'utf8'), { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' }).code))

const files: Record<string, { body: Uint8Array<ArrayBuffer>; type: string }> = {
  'style.css': { body: read(staticDir + 'style.css'), type: 'text/css; charset=utf-8' },
  'browser-key.js': { body: ours('browser-key.js'), type: JS },
  'canonical-text.js': { body: ours('canonical-text.js'), type: JS },
  'hold-submit.js': { body: ours('hold-submit.js'), type: JS },
  'pow.js': { body: ours('pow.js'), type: JS },
  'letter.js': { body: ours('letter.js'), type: JS },
  'letter-padding.js': { body: ours('letter-padding.js'), type: JS },
  'pow-worker.js': { body: ours('pow-worker.js'), type: JS },
  'htmx.min.js': { body: read(require.resolve('htmx.org/dist/htmx.min.js')), type: JS },
}

// openpgp.js's lightweight browser build loads its sibling modules lazily: serve the folder.
const openpgpDir = join(dirname(require.resolve('openpgp')), '..', 'lightweight')
for (const name of readdirSync(openpgpDir)) if (name.endsWith('.min.mjs')) files[`openpgp/${name}`] = { body: read(join(openpgpDir, name)), type: JS }

// altcha-lib's solver and the browser's PBKDF2, for static/pow.js and its worker: its ES modules
// as published (they import one another by relative path), from the package the server verifies with.
const altchaDir = join(dirname(require.resolve('altcha-lib')), '..', '..', 'esm', 'v2')
for (const name of ['pow.js', 'helpers.js', 'types.js', 'algorithms/web/pbkdf2.js']) files[`altcha/${name}`] = { body: read(join(altchaDir, name)), type: JS }

// Each file gzipped once, here at start (http/compression.ts): a file holds nothing secret.
const gzipped: Record<string, Uint8Array<ArrayBuffer>> = Object.fromEntries(Object.entries(files).map(([name, f]) => [name, gzipOnce(f.body)]))

export function staticRoutes() {
  return new Hono<AppEnv>()
    // Browsers ask for it on their own; there is none, and an HTML 404 page would be wasted.
    .get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }))
    .get('/static/:name{.+}', (c) => {
    const f = files[c.req.param('name')]
    if (!f) return c.notFound()
    const headers = { 'Content-Type': f.type, 'Cache-Control': 'public, max-age=3600', Vary: 'Accept-Encoding' }
    if (acceptsGzip(c.req.header('accept-encoding'))) return c.body(gzipped[c.req.param('name')]!, 200, { ...headers, 'Content-Encoding': 'gzip' })
    return c.body(f.body, 200, headers)
  })
}
