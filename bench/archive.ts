// npx tsx bench/archive.ts — the archive's export (issue 13): time and peak memory of
// `npm run cellboard -- export` for a cell whose public board holds N posts, at several N, to show
// that memory does not grow with the number of posts (threads and posts are read and written a
// page at a time). SQLite.
//
//   BENCH_POSTS=10000,100000 npx tsx bench/archive.ts      the figures in BENCHMARKS.md
//   BENCH_POSTS=2000 npx tsx bench/archive.ts              quick check
//
// The posts are bulk-inserted with SQL (100 posts a thread, 200 keys in turn): bodies from the
// fixture lines, body_html as the Markdown renderer writes a paragraph, and a signed text of the
// size a real clearsigned post has (the export copies it; it checks no signature). The export runs
// as the operator runs it, in its own process under /usr/bin/time -v (wall time, peak RSS);
// verify-archive on the result is timed the same way.
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { generateDisposableKey } from '../src/pgp.ts'
import { setCellKey } from '../src/services/letters.ts'
import { fmt, header, inTempDir, log, ROOT, table } from './harness.ts'
import { fixtureLines, withDeps } from './seed.ts'

const SIZES = (process.env.BENCH_POSTS ?? '10000,100000').split(',').map((s) => Number(s.trim()))
const PER_THREAD = 100
const KEYS = 200
const lines = fixtureLines()

async function seedCell(dir: string, posts: number) {
  await withDeps(dir, async (deps) => {
    const cell = deps.config.defaultCell
    const cellKey = await generateDisposableKey(new Date(), 'bench cell key')
    await setCellKey(deps, { cell, armoredKey: cellKey.armoredPublic })
    const board = await deps.db.selectFrom('board').select('id').where('slug', '=', 'general').executeTakeFirstOrThrow()
    const at = new Date().toISOString().slice(0, 13) + ':00:00.000Z'
    await deps.db.transaction().execute(async (tx) => {
      const keyIds: number[] = []
      for (let k = 0; k < KEYS; k++) {
        const fpr = k.toString(16).padStart(40, 'f')
        keyIds.push((await tx.insertInto('public_key').values({ fingerprint: fpr, armored: `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbench key ${k}\n-----END PGP PUBLIC KEY BLOCK-----\n`, created_at: at }).returning('id').executeTakeFirstOrThrow()).id)
      }
      const threads = Math.ceil(posts / PER_THREAD)
      for (let t = 1; t <= threads; t++) {
        const count = Math.min(PER_THREAD, posts - (t - 1) * PER_THREAD)
        const { id } = await tx.insertInto('thread').values({ board_id: board.id, number: t, title: `Thread ${t}`, created_at: at, post_count: count, last_number: count, last_post_at: at }).returning('id').executeTakeFirstOrThrow()
        const rows = Array.from({ length: count }, (_, i) => {
          const body = lines[(t * 7 + i) % lines.length]!
          const signed = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\ncellboard post\nsite: cellboard.local\ncell: ${cell}\nboard: general\nthread: ${t}\n\n${body}\n-----BEGIN PGP SIGNATURE-----\n\n${'wnUEARYKACcFgmcAAAAJEAAAAAAAAAAAFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'.slice(0, 76)}\n${'A'.repeat(76)}\n=AAAA\n-----END PGP SIGNATURE-----\n`
          return { thread_id: id, number: i + 1, key_id: keyIds[(t + i) % KEYS]!, signing: 'disposable' as const, body_source: body, body_html: `<p>${body.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>\n`, signed_text: signed, created_at: at }
        })
        await tx.insertInto('post').values(rows).execute()
        const last = await tx.selectFrom('post').select((eb) => eb.fn.max('id').as('m')).where('thread_id', '=', id).executeTakeFirstOrThrow()
        await tx.updateTable('thread').set({ last_post_id: Number(last.m) }).where('id', '=', id).execute()
      }
      await tx.updateTable('board').set({ last_thread_number: threads }).where('id', '=', board.id).execute()
    })
  })
}

/** A CLI command under /usr/bin/time -v: its wall time and peak RSS. */
function timed(args: string[], dataDir: string) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir }, maxBuffer: 64 * 1024 * 1024 })
  const field = (name: string) => new RegExp(`${name}: (.+)`).exec(r.stderr)?.[1]?.trim() ?? ''
  // "m:ss.ss" or "h:mm:ss": seconds last.
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').map(Number).reduce((acc, x) => acc * 60 + x, 0)
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`)
  return { seconds: wall, rssMb: Number(field('Maximum resident set size \\(kbytes\\)')) / 1024, out: r.stdout }
}

const countFiles = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1), 0)
const duBytes = (dir: string) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0])

log(header('bench/archive.ts'))
const rows: string[] = []
for (const n of SIZES) {
  await inTempDir('bench-archive', async (dir) => {
    const data = join(dir, 'data')
    const out = join(dir, 'archive')
    const t0 = performance.now()
    await seedCell(data, n)
    log(`seeded ${n} posts in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const exp = timed(['export', 'lobby', '--out', out], data)
    log(exp.out.trim().split('\n').filter((l) => !l.startsWith('export: ')).join('\n'))
    // A signature is not needed to time the hashing and the walk: verify-archive reports only the missing MANIFEST.asc.
    const ver = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', 'src/cli.ts', 'verify-archive', out], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } })
    const verWall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.+)/.exec(ver.stderr)?.[1]?.trim() ?? '?'
    const verRss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(ver.stderr)?.[1] ?? 0) / 1024
    rows.push(`${fmt(n)} | ${fmt(countFiles(out))} | ${fmt(duBytes(out) / 1024 / 1024, 1)} | ${fmt(exp.seconds, 1)} | ${fmt(n / exp.seconds)} | ${fmt(exp.rssMb, 1)} | ${verWall} | ${fmt(verRss, 1)}`)
  })
}
table('posts | files | MiB | export s | posts/s | export peak RSS MiB | verify-archive wall | verify peak RSS MiB', rows)
