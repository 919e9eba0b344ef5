import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { countPublicPosts, fraternalCellsOf, postsAfter, publicBoards, publishedKeysAfter, threadsAfter, type ArchivedPost } from '../../db/archive.ts'
import { currentLine } from '../../db/cells.ts'
import { operatorActions } from '../../db/decision-log.ts'
import { findKeyTransition } from '../../db/key-transitions.ts'
import { closedQuestions } from '../../db/questions.ts'
import { listRoster } from '../../db/roster.ts'
import type { Board, Cell } from '../../db/schema.ts'
import { DomainError } from '../../domain/errors.ts'
import { parseTiers } from '../../domain/tiers.ts'
import { DEFAULT_LANG, inLang, isLang, lang, t, tIn, type Lang } from '../../i18n/index.ts'
import type { Deps } from '../deps.ts'
import { readAnswerFeed, readBoardFeed, readDecisionFeed } from '../feeds.ts'
import { readKeyTransitions } from '../key-transitions.ts'
import { readDecisionLog, readQuestion, tallyBundle } from '../questions/read.ts'
import { boardAccess, findCellOrThrow, findPostPage, openBoard, readBoardPage, readLineHistory, type ReadableBoard } from '../reading.ts'
import { html, type Html } from '../../../views/html.ts'
import { atomFeed } from '../../../views/feeds.ts'
import { archivePage } from '../../../views/layout.ts'
import { cellMain } from '../../../views/pages/cell.ts'
import { boardHead, boardPath, threadList } from '../../../views/pages/board.ts'
import { keyTransitionsMain } from '../../../views/pages/key-transitions.ts'
import { lineMain } from '../../../views/pages/line.ts'
import { decisionsMain, questionMain } from '../../../views/pages/questions.ts'
import { threadHead, threadPath } from '../../../views/pages/thread.ts'
import { pager } from '../../../views/partials/pager.ts'
import { postArticle, postsWithGaps } from '../../../views/partials/post.ts'
import type { Viewer } from '../../../views/viewer.ts'
import { archiveFiles, CELL_KEY, OFFLINE, postRefKey, postRefsIn, relativise, type ArchiveMap } from './paths.ts'
import { ArchiveWriter } from './writer.ts'

// `npm run cellboard -- export CELL --out DIR`: everything the cell published to anyone, as static
// HTML rendered by the server's own views (as a reader with no session sees it), with relative
// links, a JSON twin of every page (what a restore reads), and MANIFEST. What only some tiers may
// read is not in it: boards are exported only when anyone reads them, and every question, bundle
// and log entry is read as a reader without a session reads it (services/questions/read.ts).
// Threads and posts are read a page at a time and written as they come.

export const ARCHIVE_FORMAT = 'cellboard-archive-v1'
const KEYS_PER_FILE = 500
const THREADS_PER_QUERY = 200

/** Progress, for the CLI's bar or lines: posts written of all the public ones, and what is being written. */
export type ExportProgress = (p: { posts: number; total: number; stage: string }) => void

export type ExportReport = { files: number; bytes: number; posts: number; threads: number; boards: number; decisions: number; keys: number; fingerprint: string }

const ANONYMOUS: Viewer = { identity: null, csrf: '', openQuestions: 0 }
const styleCss = () => readFileSync(fileURLToPath(new URL('../../../static/style.css', import.meta.url)))

export async function exportCell(deps: Deps, input: { cell: string; out: string }, progress: ExportProgress = () => {}): Promise<ExportReport> {
  const cell = await findCellOrThrow(deps, input.cell)
  if (!cell.key_fingerprint || !cell.key_armored) {
    throw new DomainError(409, t('archive.no_key', { cell: cell.slug, command: `npm run cellboard -- cell key set ${cell.slug} FILE` }))
  }
  if (existsSync(input.out) && readdirSync(input.out).length > 0) throw new DomainError(409, t('archive.out_not_empty', { dir: input.out }))
  // The operator reads the progress in their own language; the archive is written in the cell's.
  const operator = lang()
  const cellLang: Lang = isLang(cell.lang) ? cell.lang : DEFAULT_LANG
  const keyed = { ...cell, key_fingerprint: cell.key_fingerprint, key_armored: cell.key_armored }
  return inLang(cellLang, () => writeArchive(deps, keyed, input.out, (stage) => progress({ ...stage, stage: tIn(operator, stage.stage, stage.values) })))
}

/** What the export is writing, as a catalog key (archive.stage_…) for the operator's language. */
type Stage = (p: { posts: number; total: number; stage: string; values?: Record<string, string> }) => void

async function writeArchive(deps: Deps, cell: Cell & { key_fingerprint: string; key_armored: string }, dir: string, progress: Stage): Promise<ExportReport> {
  const boards = await publicBoards(deps.db, cell.id)
  const map: ArchiveMap = { cell: cell.slug, boards: new Set(boards.map((b) => b.slug)) }
  const out = new ArchiveWriter(dir)
  const report = { posts: 0, threads: 0, boards: boards.length, decisions: 0, keys: 0 }
  const total = await countPublicPosts(deps.db, cell.id)
  const say = (stage: string, values?: Record<string, string>) => progress({ posts: report.posts, total, stage, values })
  try {
    /** A page, as HTML with relative links and its JSON twin. */
    const page = async (file: string, title: string, main: Html, data: unknown) => {
      const refs = postRefsIn(main.toString(), map)
      const pages = new Map<string, number>()
      for (const r of refs) {
        const at = await openBoard(deps, cell.slug, r.board, null)
        const n = await findPostPage(deps, at, r.thread, r.number).catch(() => undefined)
        if (n !== undefined) pages.set(postRefKey(r), n)
      }
      out.write(file, relativise(archivePage({ title, cell }, main), file, map, pages))
      out.json(archiveFiles.json(file), { format: ARCHIVE_FORMAT, ...(data as object) })
    }

    say('archive.stage_cell')
    out.write('static/style.css', styleCss())
    out.write(CELL_KEY, cell.key_armored)
    out.write(OFFLINE, relativise(archivePage({ title: t('archive.title_offline'), cell }, offlineMain(cell, liveCell(deps.config.publicUrl, cell.slug))), OFFLINE, map))

    await writeCellPage(deps, cell, boards, page)
    const line = await readLineHistory(deps, cell.slug)
    await page(archiveFiles.line(), t('archive.title_line', { cell: cell.name }), lineMain(line), { versions: line.versions.map(({ id: _id, question_id: _q, ...v }) => v) })

    const log = await readDecisionLog(deps, cell.slug, null)
    const [actions, fraternal] = await Promise.all([operatorActions(deps.db, cell.id), fraternalCellsOf(deps.db, cell.id)])
    // The feeds as a reader with no session gets them (their entries link to the cell's server, PUBLIC_URL).
    out.write(archiveFiles.decisionsFeed(), atomFeed(deps.config.publicUrl, await readDecisionFeed(deps, cell.slug, null)))
    out.write(archiveFiles.answersFeed(), atomFeed(deps.config.publicUrl, await readAnswerFeed(deps, cell.slug, null)))
    await page(archiveFiles.decisions(), t('archive.title_decisions'), decisionsMain(log), {
      entries: log.entries,
      operatorActions: actions.map(({ id: _id, ...a }) => a),
      fraternal,
    })
    for (const q of await closedQuestions(deps.db, cell.id)) {
      const d = await readQuestion(deps, cell.slug, q.number, null)
      const bundle = await tallyBundle(deps, cell.slug, q.number, null)
      await page(archiveFiles.question(q.number), t('archive.title_question', { n: String(q.number) }), questionMain({ cell, item: d.item, viewer: ANONYMOUS, form: { values: {}, errors: {} }, decision: d.decision }), {
        question: { ...d.item.q, yes: q.yes, no: q.no, abstain: q.abstain, closed_at: q.closed_at },
        eligible: bundle.eligible.map((e) => e.fingerprint),
        ballots: d.decision!.ballots,
      })
      out.write(archiveFiles.bundle(q.number), JSON.stringify(bundle, null, 2))
      report.decisions++
    }

    const transitions = await readKeyTransitions(deps, cell.slug)
    const full = []
    for (const t of transitions.transitions) {
      const row = (await findKeyTransition(deps.db, cell.id, t.number))!
      out.write(archiveFiles.keyTransitionFile(t.number, 'key'), row.old_armored)
      out.write(archiveFiles.keyTransitionFile(t.number, 'statement'), row.statement)
      full.push({ ...t, old_armored: row.old_armored })
    }
    await page(archiveFiles.keyTransitions(), t('archive.title_key_transitions', { cell: cell.name }), keyTransitionsMain({ ...transitions, files: (n, f) => archiveFiles.keyTransitionFile(n, f === 'old-key' ? 'key' : 'statement') }), { fingerprint: transitions.fingerprint, transitions: full })

    // Keys a page at a time: the signers of public posts, the roster, and the decisions' voters.
    let after = 0
    for (let n = 1; ; n++) {
      const keys = await publishedKeysAfter(deps.db, cell.id, after, KEYS_PER_FILE)
      if (keys.length === 0) break
      for (const k of keys) out.write(archiveFiles.key(k.fingerprint), k.armored)
      out.json(archiveFiles.keysPage(n), { format: ARCHIVE_FORMAT, page: n, keys: keys.map(({ id: _id, ...k }) => k) })
      report.keys += keys.length
      after = keys.at(-1)!.id
    }

    for (const board of boards) {
      const at = await openBoard(deps, cell.slug, board.slug, null)
      out.write(archiveFiles.boardFeed(board.slug), atomFeed(deps.config.publicUrl, await readBoardFeed(deps, at)))
      await writeBoard(deps, at, board, page, out, report, say)
    }
    say('archive.stage_done')
  } finally {
    out.close()
  }
  return { ...report, files: out.files, bytes: out.bytes, fingerprint: cell.key_fingerprint }
}

type PageWriter = (file: string, title: string, main: Html, data: unknown) => Promise<void>

async function writeCellPage(deps: Deps, cell: Cell, boards: Board[], page: PageWriter) {
  const line = await currentLine(deps.db, cell.id)
  const roster = await listRoster(deps.db, cell.id)
  const { id: _id, ...row } = cell
  const props = {
    cell,
    line,
    boards: boards.map((b) => ({ ...b, ...boardAccess(cell, b) })),
    keyFingerprint: cell.key_fingerprint,
    keyRotationDue: cell.key_rotation_due,
    lettersWaiting: null,
    tiers: { names: parseTiers(cell.tiers), vote: cell.vote_tier, inbox: cell.inbox_tier },
    offline: true,
  }
  await page(archiveFiles.cell(), cell.name, cellMain(props), {
    cell: row,
    line,
    // Without thread_count: the restored board counts its threads as they go in (its triggers).
    boards: boards.map(({ id: _b, cell_id: _c, thread_count: _n, ...b }) => b),
    roster,
  })
}

async function writeBoard(deps: Deps, at: ReadableBoard, board: Board, page: PageWriter, out: ArchiveWriter, report: { posts: number; threads: number }, say: (stage: string, values?: Record<string, string>) => void) {
  const cell = at.cell
  const head = { cell: { slug: cell.slug, name: cell.name }, board: { slug: board.slug, name: board.name, description: board.description, ...boardAccess(cell, board) } }
  // The board's pages, as the server pages them (most recent activity first).
  for (let n = 1, pages = 1; n <= pages; n++) {
    const d = await readBoardPage(deps, at, n)
    pages = d.pages
    const { id: _id, cell_id: _c, ...row } = board
    await page(archiveFiles.board(board.slug, n), board.name, html`${boardHead(head)}${threadList(head, d.threads, d.first)}${pager(boardPath(head), d.page, d.pages)}`, {
      board: row,
      page: d.page,
      pages: d.pages,
      threads: d.threads,
    })
  }
  // Every thread, by number, each page of its posts as the server pages them.
  const per = deps.config.postsPerPage
  for (let after = 0; ; ) {
    const threads = await threadsAfter(deps.db, board.id, after, THREADS_PER_QUERY)
    if (threads.length === 0) break
    for (const t of threads) {
      say('archive.stage_thread', { board: board.slug, n: String(t.number) })
      const meta = { ...head, thread: { number: t.number, title: t.title } }
      const path = threadPath(meta)
      const pages = Math.max(1, Math.ceil(t.post_count / per))
      let last = 0
      for (let n = 1; n <= pages; n++) {
        const posts: ArchivedPost[] = await postsAfter(deps.db, t.id, last, per)
        // Removed posts said where they were, as the served page says them (here across pages too).
        const articles = postsWithGaps(posts, last, (p) => postArticle({ number: p.number, signing: p.signing, bodyHtml: p.body_html, createdAt: p.created_at, fingerprint: p.fingerprint, signed: p.signed_text !== null }, path), n === pages ? t.last_number : undefined)
        if (posts.length > 0) last = posts.at(-1)!.number
        for (const p of posts) if (p.signed_text) out.write(archiveFiles.signedText(board.slug, t.number, p.number), p.signed_text)
        const { id: _id, ...thread } = t
        await page(archiveFiles.thread(board.slug, t.number, n), t.title, html`${threadHead(meta)}<div id="posts">${articles}</div>${pager(path, n, pages)}`, { thread, page: n, pages, posts })
        report.posts += posts.length
      }
      report.threads++
    }
    after = threads.at(-1)!.number
  }
}

/**
 * Where what the archive cannot do is done: the cell on its server, when the operator named the
 * board's address (PUBLIC_URL). Not the default, this machine's localhost: from a mirror, or a
 * copy read elsewhere, it leads nowhere.
 */
function liveCell(publicUrl: string, slug: string): string | null {
  const host = new URL(publicUrl).hostname
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '[::1]' ? null : `${publicUrl}/c/${slug}`
}

function offlineMain(cell: Pick<Cell, 'slug' | 'name'>, live: string | null): Html {
  return html`<h1>${t('archive.title_offline')}</h1>
<p>${t('archive.offline_text', { cell: cell.name })}</p>
${live ? html`<p>${t('archive.live_cell')} <a href="${live}">${live}</a></p>
` : ''}<p><a href="/c/${cell.slug}">${t('archive.back_to_cell')}</a></p>`
}
