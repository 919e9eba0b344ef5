import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  finishThread,
  hasAnyCell,
  keyIds,
  restoreBoard,
  restoreCell,
  restoreDecision,
  restoreFraternalCell,
  restoreKeys,
  restoreKeyTransition,
  restoreLineVersion,
  restoreOperatorActions,
  restorePosts,
  restoreRosterEntry,
  restoreThread,
  type ArchivedPost,
  type RestoredCell,
  type RestoredQuestion,
} from '../../db/archive.ts'
import type { Db } from '../../db/connect.ts'
import { insertReferences, listPostSources } from '../../db/posts.ts'
import { postReferences } from '../../domain/markdown.ts'
import type { Board } from '../../db/schema.ts'
import { DomainError } from '../../domain/errors.ts'
import { t } from '../../i18n/index.ts'
import type { Deps } from '../deps.ts'
import { ARCHIVE_FORMAT } from './export.ts'
import { archiveFiles } from './paths.ts'
import { verifyArchive } from './verify.ts'

// `npm run cellboard -- import DIR`: a verified archive into an empty board, from its JSON files
// (never its HTML), in one transaction: the cell, its line's versions, its public boards with
// their threads and posts under the same numbers, the keys, the decisions with their signed
// ballots, key transitions and the log. Signed texts are stored byte for byte as they were, so
// every one still verifies with gpg. What the archive never held (members-only boards, letters,
// open questions) is not there: the restored cell goes on from what it published.

export type ImportReport = { cell: string; fingerprint: string; boards: number; threads: number; posts: number; decisions: number; keys: number }

type Json = Record<string, unknown>

export async function importArchive(deps: Deps, dir: string, progress: (stage: string) => void = () => {}): Promise<ImportReport> {
  progress(t('archive.stage_verifying'))
  const check = await verifyArchive(dir)
  if (!check.ok) throw new DomainError(422, t('archive.not_verified', { dir }), Object.fromEntries(check.problems.map((p, i) => [String(i), p])))
  if (await hasAnyCell(deps.db)) {
    throw new DomainError(409, t('archive.board_not_empty'))
  }
  const read = (file: string): Json => {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json
    if (data.format !== ARCHIVE_FORMAT) throw new DomainError(422, t('archive.wrong_format', { file, format: ARCHIVE_FORMAT }))
    return data
  }
  const report = await deps.db.transaction().execute(async (tx) => {
    const index = read(archiveFiles.json(archiveFiles.cell()))
    const cell = index.cell as RestoredCell
    const cellId = await restoreCell(tx, cell)
    const r: ImportReport = { cell: cell.slug, fingerprint: check.fingerprint!, boards: 0, threads: 0, posts: 0, decisions: 0, keys: 0 }

    progress(t('archive.stage_keys'))
    for (let n = 1; existsSync(join(dir, archiveFiles.keysPage(n))); n++) {
      const keys = read(archiveFiles.keysPage(n)).keys as { fingerprint: string; armored: string; created_at: string }[]
      await restoreKeys(tx, keys)
      r.keys += keys.length
    }

    progress(t('archive.stage_decisions'))
    const log = read(archiveFiles.json(archiveFiles.decisions()))
    const questionIds = new Map<number, number>()
    const numbers = (log.entries as { kind: string; number?: number }[]).filter((e) => e.kind === 'decision').map((e) => e.number!).sort((a, b) => a - b)
    for (const number of numbers) {
      const d = read(archiveFiles.json(archiveFiles.question(number)))
      questionIds.set(number, await restoreQuestion(tx, cellId, d))
      r.decisions++
    }
    await restoreOperatorActions(tx, cellId, [...(log.operatorActions as { action: string; created_at: string }[])].reverse())
    for (const f of log.fraternal as { name: string; location: string; fingerprint: string; armored: string; created_at: string; question: number }[]) {
      await restoreFraternalCell(tx, { cell_id: cellId, name: f.name, location: f.location, fingerprint: f.fingerprint, armored: f.armored, created_at: f.created_at, question_id: questionIds.get(f.question)! })
    }

    const line = read(archiveFiles.json(archiveFiles.line()))
    for (const v of [...(line.versions as { version: number; created_at: string; question_number: number | null; principles: { number: number; text: string }[] }[])].reverse()) {
      await restoreLineVersion(tx, { cellId, version: v.version, createdAt: v.created_at, questionId: v.question_number === null ? null : (questionIds.get(v.question_number) ?? null) }, v.principles)
    }

    const roster = index.roster as { fingerprint: string; tier: string; created_at: string }[]
    const rosterKeys = await keyIds(tx, roster.map((e) => e.fingerprint))
    for (const e of roster) await restoreRosterEntry(tx, { cell_id: cellId, key_id: rosterKeys.get(e.fingerprint)!, tier: e.tier, created_at: e.created_at })

    const transitions = read(archiveFiles.json(archiveFiles.keyTransitions())).transitions as { number: number; old_fingerprint: string; new_fingerprint: string; old_armored: string; statement: string; created_at: string }[]
    for (const t of [...transitions].reverse()) await restoreKeyTransition(tx, { ...t, cell_id: cellId })

    for (const b of index.boards as Omit<Board, 'id' | 'cell_id' | 'thread_count'>[]) {
      progress(t('archive.stage_board', { board: b.slug }))
      await restoreBoardWithThreads(tx, dir, read, cellId, b, r)
      r.boards++
    }
    return r
  })
  await deps.cache.clear()
  return report
}

/**
 * A decided question. One about something on a board the archive does not hold was exported as
 * anyone sees it (withheld); it is restored naming no board, so it stays withheld from everyone.
 */
async function restoreQuestion(tx: Db, cellId: number, d: Json): Promise<number> {
  const q = d.question as Json & { payload: Json; argument: string | null }
  const payload =
    'withheld' in q.payload
      ? q.payload.kind === 'remove_post'
        ? { kind: 'remove_post', board: '', thread: 1, number: 1, principle: q.payload.principle, principleText: q.payload.principleText }
        : { kind: 'publish_answer', board: '', text: '', answer: '', reference: null, thread: null }
      : q.payload
  const ballots = d.ballots as { fingerprint: string; choice: 'yes' | 'no' | 'abstain'; signing: 'disposable' | 'browser' | 'gpg-signed'; signed_text: string; cast_at: string }[]
  const eligible = d.eligible as string[]
  const ids = await keyIds(tx, [...eligible, ...ballots.map((b) => b.fingerprint)])
  const row: RestoredQuestion = {
    number: q.number as number,
    kind: q.kind as string,
    payload: JSON.stringify(payload),
    argument: q.argument ?? '',
    line_version: q.line_version as number,
    eligible: q.eligible as number,
    quorum: q.quorum as number,
    threshold: q.threshold as RestoredQuestion['threshold'],
    opened_at: q.opened_at as string,
    deadline: q.deadline as string,
    outcome: q.outcome as RestoredQuestion['outcome'],
    yes: q.yes as number,
    no: q.no as number,
    abstain: q.abstain as number,
    closed_at: q.closed_at as string,
  }
  return restoreDecision(
    tx,
    cellId,
    row,
    eligible.map((f) => ids.get(f)!),
    ballots.map((b) => ({ key_id: ids.get(b.fingerprint)!, choice: b.choice, signing: b.signing, signed_text: b.signed_text, cast_at: b.cast_at })),
  )
}

/**
 * Which posts quote which (backlinks): not in the archive, but read again from each post's text as
 * when it was written: a >>N to an earlier post of the thread that is there.
 */
async function restoreReferences(tx: Db, threadId: number) {
  const posts = await listPostSources(tx, threadId)
  const ids = new Map(posts.map((p) => [p.number, p.id]))
  for (const p of posts) await insertReferences(tx, p.id, postReferences(p.body_source).flatMap((n) => (n < p.number && ids.has(n) ? [ids.get(n)!] : [])))
}

/**
 * A board and its threads. Its listing orders threads by their latest post's row id, so threads
 * go in oldest activity first: the last page of the listing first, each page from its bottom.
 */
async function restoreBoardWithThreads(tx: Db, dir: string, read: (file: string) => Json, cellId: number, b: Omit<Board, 'id' | 'cell_id' | 'thread_count'>, r: ImportReport) {
  const { id: boardId } = await restoreBoard(tx, { ...b, cell_id: cellId })
  const pages = read(archiveFiles.json(archiveFiles.board(b.slug))).pages as number
  for (let n = pages; n >= 1; n--) {
    const listed = read(archiveFiles.json(archiveFiles.board(b.slug, n))).threads as { number: number }[]
    for (const { number } of [...listed].reverse()) {
      let threadId: number | null = null
      let lastPostId: number | null = null
      for (let p = 1; existsSync(join(dir, archiveFiles.json(archiveFiles.thread(b.slug, number, p)))); p++) {
        const page = read(archiveFiles.json(archiveFiles.thread(b.slug, number, p)))
        const t = page.thread as { number: number; title: string; created_at: string; post_count: number; last_number: number; last_post_at: string }
        threadId ??= await restoreThread(tx, { board_id: boardId, number: t.number, title: t.title, created_at: t.created_at, post_count: t.post_count, last_number: t.last_number, last_post_at: t.last_post_at })
        const posts = page.posts as ArchivedPost[]
        const ids = await keyIds(tx, posts.map((x) => x.fingerprint))
        const last = await restorePosts(
          tx,
          threadId,
          posts.map(({ fingerprint, ...x }) => ({ ...x, key_id: ids.get(fingerprint)! })),
        )
        lastPostId = last ?? lastPostId
        r.posts += posts.length
      }
      if (threadId !== null && lastPostId !== null) await finishThread(tx, threadId, lastPostId)
      if (threadId !== null) await restoreReferences(tx, threadId)
      r.threads++
    }
  }
}
