import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { openDeps } from '../../src/compose.ts'
import { loadConfig } from '../../src/config.ts'
import { groupedFingerprint } from '../../src/domain/letters.ts'
import { createBoard } from '../../src/services/cells.ts'
import { type Client, makeBoard, makePgDatabase, TEST_DIALECT } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'
import { questionsOf } from '../support/questions.ts'
import { TEST_SETTINGS } from '../support/settings.ts'

// The archive end to end, as an operator runs it: a cell with a public and a members-only board,
// posts, decisions (one about a members-only post), a cell key made by real GnuPG; `export` by the
// CLI; the folder served by a plain static file server and crawled with JavaScript off; MANIFEST
// signed with gpg; `verify-archive` passing, then failing on a changed, added or removed file;
// `import` into a new empty board that then serves the same pages, every signed text verifying.

const PAGING = { POSTS_PER_PAGE: '2', THREADS_PER_PAGE: '2' }
const MEMBERS_MARKER = 'members-only-marker-7f3a9c'
const ARGUMENT_MARKER = 'argument-about-members-post-51be02'
const root = new URL('../../', import.meta.url).pathname

let gpg: Gpg
let cellFpr: string
beforeAll(() => {
  gpg = new Gpg()
  cellFpr = gpg.generateCellKey('lobby cell key')
})
afterAll(() => gpg.close())

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, ...TEST_SETTINGS, ...PAGING, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** Every file below a folder, as paths relative to it. */
function filesIn(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((name) => (statSync(join(dir, rel, name)).isDirectory() ? filesIn(dir, join(rel, name)) : [join(rel, name)]))
}

/** A static file server with no cellboard code: files by path, index.html for a folder. */
async function serveFolder(dir: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.json': 'application/json', '.asc': 'text/plain' }
  const server = createServer((req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname))
    if (path.includes('..')) return void res.writeHead(400).end()
    if (path.endsWith('/')) path += 'index.html'
    const file = join(dir, path)
    if (!existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end('not found')
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/** Crawl from the index as a browser with JavaScript off: every href and src, no other host. */
async function crawl(base: string) {
  const seen = new Set<string>()
  const broken: string[] = []
  const foreign: string[] = []
  const queue = [`${base}/index.html`]
  while (queue.length > 0) {
    const url = queue.shift()!
    if (seen.has(url)) continue
    seen.add(url)
    const res = await fetch(url)
    if (res.status !== 200) {
      broken.push(url)
      continue
    }
    if (!(res.headers.get('content-type') ?? '').startsWith('text/html')) continue
    const page = await res.text()
    for (const m of page.matchAll(/\b(?:href|src|action)="([^"]*)"/g)) {
      const target = new URL(m[1]!.replace(/&amp;/g, '&'), url)
      if (target.origin !== base) {
        foreign.push(`${url} → ${m[1]}`)
        continue
      }
      target.hash = ''
      queue.push(target.toString())
    }
  }
  return { seen, broken, foreign }
}

type Board = Awaited<ReturnType<typeof makeBoard>>

/** The cell's published content: threads on the public board, a post on the members' board, two decisions. */
async function publish(board: Board) {
  await createBoard(board.deps, { cell: 'lobby', slug: 'inner', name: 'Inner', description: '', read: 'member', retentionDays: null })
  const q = questionsOf(board)
  const poster = board.client()
  await poster.takeIdentity()
  const startThread = async (c: Client, boardSlug: string, title: string, body: string) => {
    await c.get(`/c/lobby/${boardSlug}`)
    const r = await c.post(`/c/lobby/${boardSlug}`, { title, body })
    expect(r.res.status).toBe(303)
    return r.res.headers.get('location')!
  }
  const reply = async (c: Client, path: string, body: string) => {
    await c.get(`${path}?page=last`)
    expect((await c.post(path, { body })).res.status).toBe(303)
  }
  const first = await startThread(poster, 'general', 'First thread', 'The **first** post.')
  for (const body of ['A reply to >>1', 'A third post', 'A fourth, on page two']) await reply(poster, first, body)
  await startThread(poster, 'general', 'Second thread', 'Second thread’s post, with <b>markup</b> & an ampersand.')
  await startThread(poster, 'general', 'Third thread', 'Third.')

  const member = await q.disposableOnRoster('member')
  await startThread(member.c, 'inner', `Inner ${MEMBERS_MARKER}`, `Only for members: ${MEMBERS_MARKER}`)
  const voter = await q.disposableOnRoster('voter')
  // A question about the members' post (rejected), and an amendment (adopted): version 2 of the line.
  const about = await q.raised(voter.c, { kind: 'remove_post', board: 'inner', thread: '1', number: '1', principle: '1', argument: ARGUMENT_MARKER })
  await q.voteOk(voter, about, 'no')
  const amend = await q.raised(voter.c, { kind: 'amend_line', change: 'add', text: 'Archive what you publish.', argument: 'So it outlives the server.' })
  await q.voteOk(voter, amend, 'yes')
}

/** The posts of a page as served: the block of articles between the page's head and its foot. */
const postsOf = (page: string) => /<div id="posts"[^>]*>([\s\S]*?)<\/div>/.exec(page)?.[1] ?? ''

describe('npm run cellboard -- export / verify-archive / import', () => {
  it('exports the public content only, crawls offline with no broken link, verifies once signed, fails on any change naming the file, and restores into an empty board that serves the same pages', { timeout: 480_000 }, async () => {
    const board = await makeBoard(PAGING)
    const work = mkdtempSync(join(tmpdir(), 'cellboard-archive-'))
    let restoredDrop: (() => Promise<void>) | undefined
    let served: Server | undefined
    try {
      await publish(board)
      const env = { DATA_DIR: board.dir, ...(board.deps.config.databaseUrl ? { DATABASE_URL: board.deps.config.databaseUrl } : {}) }
      writeFileSync(join(work, 'cell.asc'), gpg.exportPublic(cellFpr))
      expect(cli(env, 'cell', 'key', 'set', 'lobby', join(work, 'cell.asc'))).toMatchObject({ code: 0, err: '' })

      // Export: not a terminal, so plain progress lines.
      const out = join(work, 'archive')
      const exported = cli(env, 'export', 'lobby', '--out', out)
      expect(exported.err).toBe('')
      expect(exported.code).toBe(0)
      expect(exported.out).toMatch(/^export: 0\/6 posts, /m)
      expect(exported.out).toContain('1 public board, 3 threads, 6 posts, 2 decisions')
      expect(exported.out).toContain(`gpg --local-user ${cellFpr.toLowerCase()} --detach-sign --armor ${out}/MANIFEST`)
      expect(cli(env, 'export', 'lobby', '--out', out)).toMatchObject({ code: 1, err: expect.stringContaining('is not empty') })

      // Members-only content is in no file: not the post, its thread, nor the question's argument.
      const files = filesIn(out)
      for (const f of files) {
        const text = readFileSync(join(out, f), 'utf8')
        expect(text, f).not.toContain(MEMBERS_MARKER)
        expect(text, f).not.toContain(ARGUMENT_MARKER)
        expect(text, f).not.toContain('/inner')
        if (f.endsWith('.html')) expect(text, f).not.toMatch(/<script|<form/i)
      }
      expect(files).toEqual(expect.arrayContaining(['index.html', 'index.json', 'MANIFEST', 'cell-key.asc', 'static/style.css', 'line.html', 'decisions.html', 'questions/1.html', 'questions/1.bundle.json', 'questions/2.json', 'b/general/index.html', 'b/general/index-page-2.html', 'b/general/t/1.html', 'b/general/t/1-page-2.json', 'b/general/t/1/4.asc', 'keys/1.json']))
      expect(readFileSync(join(out, 'questions/1.html'), 'utf8')).toContain('a post on a members-only board')
      // MANIFEST: sha256sum's format, every file but itself.
      const manifest = readFileSync(join(out, 'MANIFEST'), 'utf8')
      expect(manifest.trim().split('\n').sort()).toEqual(
        files
          .filter((f) => f !== 'MANIFEST')
          .map((f) => `${spawnSync('sha256sum', [join(out, f)], { encoding: 'utf8' }).stdout.split(' ')[0]}  ${f}`)
          .sort(),
      )

      // A plain static server, crawled from the index with JavaScript off.
      const site = await serveFolder(out)
      served = site.server
      const { seen, broken, foreign } = await crawl(site.url)
      expect(broken).toEqual([])
      expect(foreign).toEqual([])
      for (const f of ['b/general/t/1-page-2.html', 'b/general/t/1/4.asc', 'questions/2.html', 'questions/2.bundle.json', 'line.html', 'key-transitions.html', 'cell-key.asc', 'offline.html', 'decisions.atom', 'answers.atom']) expect(seen, f).toContain(`${site.url}/${f}`)
      // The feeds, as a reader with no session gets them: the public board's posts, and its decisions.
      expect(readFileSync(join(out, 'b/general/feed.atom'), 'utf8')).toMatch(/^<\?xml[\s\S]*<feed[\s\S]*<entry>/)
      expect(readFileSync(join(out, 'decisions.atom'), 'utf8')).toContain('<entry>')
      // The reply's ">>1" leads to post 1, on the thread's first page.
      expect(readFileSync(join(out, 'b/general/t/1.html'), 'utf8')).toContain('href="1.html#p1"')

      // Not signed yet: fails. Signed by the cell key with gpg: passes, and names the key.
      expect(cli({}, 'verify-archive', out)).toMatchObject({ code: 1, err: expect.stringContaining('MANIFEST.asc: missing') })
      expect(gpg.run(['--local-user', cellFpr, '--detach-sign', '--armor', join(out, 'MANIFEST')]).status).toBe(0)
      const verified = cli({}, 'verify-archive', out)
      expect(verified.err).toBe('')
      expect(verified.code).toBe(0)
      expect(verified.out).toContain(`signed by the cell key ${groupedFingerprint(cellFpr.toLowerCase())} (${cellFpr.toLowerCase()})`)
      expect(verified.out).toContain(`ok: ${files.length - 1} files`)

      // One byte changed, a file added, a file removed: each fails, naming the file.
      const tampered = join(work, 'tampered')
      const copy = () => {
        rmSync(tampered, { recursive: true, force: true })
        cpSync(out, tampered, { recursive: true })
      }
      copy()
      const post = join(tampered, 'b/general/t/1.html')
      const bytes = readFileSync(post)
      bytes[bytes.indexOf('first')] = 'F'.charCodeAt(0)
      writeFileSync(post, bytes)
      expect(cli({}, 'verify-archive', tampered)).toMatchObject({ code: 1, err: '  b/general/t/1.html: changed (its SHA-256 is not the one in MANIFEST)\n' })
      copy()
      writeFileSync(join(tampered, 'b/general/extra.html'), '<p>added</p>')
      expect(cli({}, 'verify-archive', tampered)).toMatchObject({ code: 1, err: '  b/general/extra.html: added (not in MANIFEST)\n' })
      copy()
      unlinkSync(join(tampered, 'b/general/t/1/4.asc'))
      expect(cli({}, 'verify-archive', tampered)).toMatchObject({ code: 1, err: '  b/general/t/1/4.asc: missing (listed in MANIFEST)\n' })
      copy()
      writeFileSync(join(tampered, 'MANIFEST'), readFileSync(join(tampered, 'MANIFEST'), 'utf8').replace(/^[0-9a-f]{64}  static\/style\.css\n/m, ''))
      expect(cli({}, 'verify-archive', tampered).err).toContain('MANIFEST.asc: it is not a good signature by the cell key')

      // Restore: refused into a board that holds a cell, and from an archive that does not verify.
      expect(cli(env, 'import', out)).toMatchObject({ code: 1, err: expect.stringContaining('This board is not empty') })
      const restoredDir = mkdtempSync(join(tmpdir(), 'cellboard-restored-'))
      const restoredEnv: Record<string, string> = { DATA_DIR: restoredDir }
      if (TEST_DIALECT === 'postgres') {
        const db = await makePgDatabase()
        restoredEnv.DATABASE_URL = db.url
        restoredDrop = db.drop
      }
      expect(cli(restoredEnv, 'init').code).toBe(0)
      expect(cli(restoredEnv, 'import', tampered)).toMatchObject({ code: 1, err: expect.stringContaining('does not verify, so nothing was imported') })
      const imported = cli(restoredEnv, 'import', out)
      expect(imported.err).toBe('')
      expect(imported.code).toBe(0)
      expect(imported.out).toContain('imported lobby')
      expect(imported.out).toContain('1 board, 3 threads, 6 posts, 2 decisions')

      const { deps: restored, close } = await openDeps(loadConfig({ ...TEST_SETTINGS, ...PAGING, ...restoredEnv }), { poolSize: 1, forgetAfterMigrating: false })
      try {
        const before = createApp(board.deps)
        const after = createApp(restored)
        const get = async (app: typeof before, path: string) => {
          const res = await app.request(path)
          return { status: res.status, text: await res.text() }
        }
        // The same thread pages, post for post, and the same listings, line and decisions.
        for (const path of ['/c/lobby/general/t/1', '/c/lobby/general/t/1?page=2', '/c/lobby/general/t/2', '/c/lobby/general/t/3']) {
          const [a, b] = [await get(before, path), await get(after, path)]
          expect(b.status, path).toBe(200)
          expect(postsOf(b.text), path).toBe(postsOf(a.text))
          expect(postsOf(b.text), path).toMatch(/<article id="p[0-9]+"/)
        }
        for (const path of ['/c/lobby/general', '/c/lobby/general?page=2', '/c/lobby/line', '/c/lobby/decisions', '/c/lobby/questions/1', '/c/lobby/questions/2', '/c/lobby/questions/2/bundle.json', '/c/lobby/general/t/1/p/4.asc']) {
          const [a, b] = [await get(before, path), await get(after, path)]
          expect(b.status, path).toBe(200)
          expect(b.text.replace(/<input type="hidden" name="_csrf"[^>]*>/g, ''), path).toBe(a.text.replace(/<input type="hidden" name="_csrf"[^>]*>/g, ''))
        }
        expect((await get(after, '/c/lobby/inner')).status).toBe(404)
        expect((await get(after, '/c/lobby/questions/1')).text).not.toContain(ARGUMENT_MARKER)

        // Every restored signed text (posts and ballots) verifies with gpg, with the keys from the archive.
        const checker = new Gpg()
        try {
          for (const k of filesIn(join(out, 'k'))) expect(checker.run(['--import', join(out, 'k', k)]).status).toBe(0)
          const texts = [
            ...(await restored.db.selectFrom('post').select('signed_text').execute()).map((r) => r.signed_text),
            ...(await restored.db.selectFrom('ballot').select('signed_text').execute()).map((r) => r.signed_text),
          ]
          expect(texts.length).toBe(8)
          texts.forEach((text, i) => {
            expect(text).not.toBeNull()
            const file = join(work, `signed-${i}.asc`)
            writeFileSync(file, text!)
            const v = checker.verify(file)
            expect(v.status, v.err).toBe(0)
            expect(v.err).toContain('Good signature')
          })
        } finally {
          checker.close()
        }
      } finally {
        await close()
        rmSync(restoredDir, { recursive: true, force: true })
      }
    } finally {
      served?.close()
      await restoredDrop?.()
      rmSync(work, { recursive: true, force: true })
      await board.close()
    }
  })

  it('refuses to export a cell with no key, and verify-archive refuses a folder with no MANIFEST', async () => {
    const board = await makeBoard()
    const work = mkdtempSync(join(tmpdir(), 'cellboard-archive-'))
    try {
      const env = { DATA_DIR: board.dir, ...(board.deps.config.databaseUrl ? { DATABASE_URL: board.deps.config.databaseUrl } : {}) }
      expect(cli(env, 'export', 'lobby', '--out', join(work, 'a'))).toMatchObject({ code: 1, err: expect.stringContaining('has no key: an archive is signed with the cell key') })
      expect(cli({}, 'verify-archive', work)).toMatchObject({ code: 1, err: expect.stringContaining('MANIFEST: missing') })
    } finally {
      rmSync(work, { recursive: true, force: true })
      await board.close()
    }
  })
})
