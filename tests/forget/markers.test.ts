import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findMarkers, findMarkersInDir } from '../support/scan.ts'
import { pgCheckpoint, pgDataDirectory, pgServerEnv, TEST_DIALECT } from '../support/app.ts'
import pg from 'pg'
import { startServer, type RunningServer } from '../support/server.ts'
import { Visitor } from '../support/visitor.ts'

// Against someone who later gets a copy of the data folder: removed content must be gone from
// the main file, the WAL, the shared-memory file and any journal, and never have been printed.
const root = new URL('../../', import.meta.url).pathname
const marker = (kind: string) => `${kind}${randomBytes(9).toString('hex')}`

// The same test on either dialect: on PostgreSQL the server and the CLI share a fresh database
// (and Redis), and the scan covers the whole data directory: heap, indexes and WAL.
let dbEnv: Record<string, string> = {}
let dropDb: (() => Promise<void>) | null = null
const scan = async (markers: string[], extra: Record<string, string> = {}) =>
  TEST_DIALECT === 'postgres' ? findMarkersInDir(await pgDataDirectory(), markers, extra) : findMarkers(server.dataDir, markers, extra)
/** For proving markers are there: on PostgreSQL the data files are written first (pgCheckpoint). */
const scanPresent = async (markers: string[]) => {
  if (TEST_DIALECT === 'postgres') await pgCheckpoint()
  return scan(markers)
}

/** Another connection holding a read transaction (and so its snapshot) open. */
async function openReader(dataDir: string): Promise<{ close: () => Promise<void> }> {
  if (TEST_DIALECT === 'postgres') {
    const c = new pg.Client({ connectionString: dbEnv.DATABASE_URL })
    await c.connect()
    await c.query('begin isolation level repeatable read')
    expect((await c.query('select count(*)::int as n from post')).rows[0].n).toBe(2)
    return { close: async () => { await c.query('commit'); await c.end() } }
  }
  const reader = new Database(`${dataDir}/cellboard.db`, { readonly: true })
  reader.prepare('begin').run()
  expect(reader.prepare('select count(*) as n from post').get()).toEqual({ n: 2 })
  return { close: async () => { reader.prepare('commit').run(); reader.close() } }
}

function cli(dataDir: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...dbEnv } })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (out += d))
    p.on('exit', (code) => resolve({ code, out }))
  })
}

type Published = { thread: string; threadId: string; markers: Record<string, string> }

/** A thread by one disposable key and a reply by another, each carrying unique markers. */
async function publish(server: RunningServer): Promise<{ op: Published; reply: Published }> {
  const a = new Visitor(server.url)
  const fprA = await a.takeIdentity()
  await a.fetch('/c/lobby/general')
  const title = marker('TITLE')
  const opBody = marker('BODY')
  const opHtml = marker('HTML')
  const start = await a.post('/c/lobby/general', { title, body: `${opBody}\n\n**${opHtml}**` })
  const thread = start.res.headers.get('location')!
  const threadId = thread.split('/').pop()!

  const b = new Visitor(server.url)
  const fprB = await b.takeIdentity()
  await b.fetch(thread)
  const replyBody = marker('REPLY')
  const replyHtml = marker('RHTML')
  expect((await b.post(thread, { body: `${replyBody} _${replyHtml}_` })).res.status).toBe(303)

  const signatureLine = async (n: number) => {
    const asc = (await b.fetch(`${thread}/p/${n}.asc`)).text
    return asc.split('\n').filter((l) => /^[A-Za-z0-9+/]{40,}$/.test(l))[0]!
  }
  const keyLine = async (fpr: string) => (await b.fetch(`/k/${fpr}.asc`)).text.split('\n').filter((l) => /^[A-Za-z0-9+/]{60,}$/.test(l))[1]!
  return {
    op: { thread, threadId, markers: { title, body: opBody, html: `<strong>${opHtml}</strong>`, signed: await signatureLine(1), fingerprint: fprA, key: await keyLine(fprA) } },
    reply: { thread, threadId, markers: { body: replyBody, html: `<em>${replyHtml}</em>`, signed: await signatureLine(2), fingerprint: fprB, key: await keyLine(fprB) } },
  }
}

let server: RunningServer
beforeEach(async () => {
  if (TEST_DIALECT === 'postgres') {
    // The server and the CLI share the database, and Redis keys under a prefix removed after.
    const shared = await pgServerEnv()
    dbEnv = shared.env
    dropDb = shared.drop
  }
  server = await startServer(dbEnv)
})
afterEach(async () => {
  await server.stop()
  await dropDb?.()
})

describe('removal leaves nothing behind', () => {
  for (const readerOpen of [false, true]) {
    it(`post remove and thread remove: every marker was in the files, and after the purge none is${readerOpen ? ' (a reader holds a read transaction during the purge)' : ''}`, async () => {
      const { op, reply } = await publish(server)
      const all = [...Object.values(op.markers), ...Object.values(reply.markers)]
      // Each marker is really there first: the scan can find what it looks for.
      expect(Object.keys(await scanPresent(all)).sort()).toEqual([...all].sort())

      const reader = readerOpen ? await openReader(server.dataDir) : null
      const removing = cli(server.dataDir, 'post', 'remove', 'lobby', 'general', reply.threadId, '2')
      if (reader) {
        // The purge cannot finish while the reader holds the WAL; it waits, then finishes.
        await new Promise((r) => setTimeout(r, 1500))
        expect(Object.keys(await scan(Object.values(reply.markers))).length).toBeGreaterThan(0)
        await reader.close()
      }
      const removed = await removing
      expect(removed.out).toMatch(/removed post 2 of thread \d+; purged: 0 threads past retention, 0 keys/)
      expect(removed.code).toBe(0)
      const left = await scan(Object.values(reply.markers), { 'server output': server.output(), 'cli output': removed.out })
      expect(left, JSON.stringify(left)).toEqual({})
      // The thread's own markers are untouched by removing the reply.
      expect(Object.keys(await scanPresent(Object.values(op.markers))).length).toBe(Object.keys(op.markers).length)

      const gone = await cli(server.dataDir, 'thread', 'remove', 'lobby', 'general', op.threadId)
      expect(gone.code).toBe(0)
      const none = await scan(all, { 'server output': server.output(), 'cli output': gone.out })
      expect(none, JSON.stringify(none)).toEqual({})

      // And the server, which cached the pages, stops serving them within a second or so.
      await new Promise((r) => setTimeout(r, 1300))
      const visitor = new Visitor(server.url)
      expect((await visitor.fetch(op.thread)).res.status).toBe(404)
      expect((await visitor.fetch(`/k/${reply.markers.fingerprint}.asc`)).res.status).toBe(404)
      expect((await visitor.fetch('/c/lobby/general')).text).not.toContain(op.markers.title)
    })
  }
})
