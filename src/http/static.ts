import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { buildSync, transformSync } from 'esbuild'
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
const esm = { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' } as const
const ours = (name: string) => new Uint8Array(Buffer.from(transformSync(readFileSync(staticDir + name, 'utf8'), esm).code))

// What every page loads with JavaScript on: the modules a page may need (browser key, proof of
// work, letters) bundled into one file. Separately they were six requests and 5,885 B gzipped;
// as one, 4,527 B (measured, issue 15). What they load later (openpgp.js, altcha's solver, the
// worker) stays a file of its own, fetched only when used.
const bundle = () =>
  new Uint8Array(buildSync({ ...esm, bundle: true, write: false, stdin: { contents: ['browser-key.js', 'pow.js', 'letter.js'].map((f) => `import './${f}'`).join('\n'), resolveDir: staticDir }, external: ['/static/*'] }).outputFiles[0]!.contents)

// htmx's settings, run right after htmx defines itself and before it reads the page (it does so
// when the document is loaded): no page snapshots in sessionStorage or localStorage (pages can hold
// sensitive text, and what a browser keeps must not link two identities), no eval, no inline
// indicator styles (the CSP allows none), only requests to this origin, and error pages swapped in
// like others. In the file htmx comes in rather than in a <meta> on every page: a reader without
// JavaScript never needed them (215 B of a gzipped thread page), and without the file they are moot.
const HTMX_CONFIG = {
  historyCacheSize: 0,
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  // Not 'style': a reply box resized by hand carries an inline style, and settling would copy it
  // onto the fresh form, which the CSP (style-src 'self') refuses with a console error.
  attributesToSettle: ['class', 'width', 'height'],
  responseHandling: [
    { code: '204', swap: false },
    { code: '[2345]..', swap: true },
  ],
}
const htmx = () => new Uint8Array(Buffer.concat([readFileSync(require.resolve('htmx.org/dist/htmx.min.js')), Buffer.from(`\nObject.assign(htmx.config,${JSON.stringify(HTMX_CONFIG)});\n`)]))

// The stylesheet minified the same way (comments and spaces were 40 % of its gzipped bytes, which
// every first visit carries); static/style.css is the readable source, and what archives copy.
const css = () => new Uint8Array(Buffer.from(transformSync(readFileSync(staticDir + 'style.css', 'utf8'), { loader: 'css', minify: true, legalComments: 'none' }).code))

const files: Record<string, { body: Uint8Array<ArrayBuffer>; type: string }> = {
  'style.css': { body: css(), type: 'text/css; charset=utf-8' },
  'app.js': { body: bundle(), type: JS },
  'pow-worker.js': { body: ours('pow-worker.js'), type: JS },
  'htmx.min.js': { body: htmx(), type: JS },
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
