import { currentLine } from '../../db/cells.ts'
import { insertQuestion } from '../../db/questions.ts'
import { tierOf, voterKeyIds } from '../../db/roster.ts'
import { DomainError, validateEveryField } from '../../domain/errors.ts'
import { defaultQuorum } from '../../domain/questions.ts'
import { checkBody } from '../../domain/text.ts'
import { coarseTimeAfter } from '../../domain/time.ts'
import type { Deps } from '../deps.ts'
import { assertKeyStillValid } from '../identities.ts'
import { takeLimit, withinLimit } from '../limits.ts'
import { findBoard, listBoards } from '../../db/boards.ts'
import { findPostAt } from '../../db/posts.ts'
import { canRead, findCellOrThrow } from '../reading.ts'
import { requireSession, type Who } from '../who.ts'
import { t } from '../../i18n/index.ts'
import { coarseNow } from './common.ts'
import { isQuestionKind, kindOf, labelOf, QUESTION_KINDS, type QuestionKind, type RaiseInput } from './kinds.ts'
import { openCountsChanged } from './read.ts'

/**
 * Raise a line question. Any roster member may raise any kind (its entry may ask more: an answer
 * to a letter, only those who read the letters); any identity may ask to remove a post on a public
 * board (a few times an hour per key: domain/limits.ts). The question records the line version, a
 * deadline, a quorum and a threshold; the voters are the roster's voters at this moment.
 * Returns its number in the cell.
 */
export async function raiseQuestion(deps: Deps, who: Who, input: RaiseInput): Promise<number> {
  const session = requireSession(who, 'Raising a question')
  await assertKeyStillValid(deps, session)
  const cell = await findCellOrThrow(deps, input.cell)
  const kind = input.kind ?? ''
  if (!isQuestionKind(kind)) throw new DomainError(422, t('questions.choose_kind'), { kind: t('questions.choose_kind_field') })
  const entry = kindOf(kind)
  const role = await tierOf(deps.db, cell.id, session.fingerprint)
  if (!role && !entry.anyone) throw new DomainError(403, t('questions.roster_only'))
  // Counted before the work (a flood costs little to refuse), given back if the question is refused.
  const taken = await takeLimit(deps, 'question', session, { onRoster: role !== null })
  const number = await withinLimit(deps, taken, async () => {
    const line = await currentLine(deps.db, cell.id)
    // The argument and the kind's own fields are checked together: every problem is told at once.
    const { argument, payload } = await validateEveryField(
      { argument: () => checkBody('argument', input.argument ?? '', 2000), payload: () => entry.raise({ deps, cell, line, session, input }) },
      t('question_kinds.fields_refused'),
    )
    const voters = await voterKeyIds(deps.db, cell)
    if (voters.length === 0) throw new DomainError(422, t('questions.no_voters_refused'))
    return deps.db.transaction().execute((tx) =>
      insertQuestion(
        tx,
        {
          cell_id: cell.id,
          kind,
          payload: JSON.stringify(payload),
          argument,
          line_version: line.version,
          eligible: voters.length,
          quorum: defaultQuorum(voters.length),
          threshold: entry.threshold,
          opened_at: coarseNow(deps),
          // Coarse too, rounded up: deadline minus the question time would otherwise give the
          // exact moment someone raised it.
          deadline: coarseTimeAfter(deps.now() + deps.config.questionMs, deps.config.timeGranularityMs),
          status: 'open',
          outcome: null,
          yes: null,
          no: null,
          abstain: null,
          closed_at: null,
        },
        voters,
      ),
    )
  })
  openCountsChanged(deps)
  return number
}

/** What the raise page offers this viewer: the kinds (with their labels), the line, the roster's state. */
export async function readRaiseForm(deps: Deps, cellSlug: string, who: Pick<Who, 'session'>, about: PostAbout | null = null) {
  const cell = await findCellOrThrow(deps, cellSlug)
  const [line, role, voters, named, all] = await Promise.all([
    currentLine(deps.db, cell.id),
    who.session ? tierOf(deps.db, cell.id, who.session.fingerprint) : null,
    voterKeyIds(deps.db, cell),
    about ? postInQuestion(deps, cell.id, who.session, about) : null,
    listBoards(deps.db, cell.id),
  ])
  // The boards a question may name, to choose from: those this viewer reads (another is answered as
  // none), each read tier of the cell decided once.
  const reads = new Map<string | null, Promise<boolean>>()
  const boards: { slug: string; name: string }[] = []
  for (const b of all) {
    if (!reads.has(b.read_tier)) reads.set(b.read_tier, canRead(deps, b, who.session))
    if (await reads.get(b.read_tier)) boards.push({ slug: b.slug, name: b.name })
  }
  const kinds = (Object.keys(QUESTION_KINDS) as QuestionKind[]).map((k) => ({ kind: k, label: labelOf(k), anyone: QUESTION_KINDS[k].anyone }))
  const post = named && 'bodyHtml' in named ? named : null
  const placeHint = named && 'field' in named ? named : null
  return { cell, principles: line.principles, onRoster: role !== null, voters: voters.length, kinds, post, placeHint, boards }
}

/** The place a question to remove a post names (a board's name, a thread's and a post's number), as the form holds it. */
export type PostAbout = { board: string; thread: number; number: number }

/** Why a place names no post, beside the field to mend: what sending the question would be told (kinds.ts, remove_post). */
export type PlaceHint = { field: 'board' | 'number'; message: string }

/**
 * The post a question to remove it would name, to show above the form: the person raising it sees
 * the words they are putting to the vote. Only to a reader of its board (a members' post is not
 * shown to whoever has its place). When the place names no post, what sending it would be told,
 * in the same order, so the page says no more than the refusal: no such board; a board the viewer
 * may not read (nothing of its posts); no post there.
 */
async function postInQuestion(deps: Deps, cellId: number, session: Who['session'], about: PostAbout): Promise<{ bodyHtml: string } | PlaceHint> {
  const board = await findBoard(deps.db, cellId, about.board)
  if (!board) return { field: 'board', message: t('question_kinds.no_board_named') }
  if (!(await canRead(deps, board, session))) return { field: 'board', message: t('question_kinds.board_unreadable') }
  const post = await findPostAt(deps.db, { boardId: board.id, thread: about.thread, number: about.number })
  return post ? { bodyHtml: post.body_html } : { field: 'number', message: t('question_kinds.no_post_there') }
}
