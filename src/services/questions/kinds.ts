import { z } from 'zod'
import { findBoard } from '../../db/boards.ts'
import { findCellById, lockCell, markKeyRotationDue, type Line } from '../../db/cells.ts'
import type { Db } from '../../db/connect.ts'
import { findFraternal, recognise, withdrawRecognition } from '../../db/fraternal-cells.ts'
import { ensureKey } from '../../db/keys.ts'
import { insertLineVersion, lineHistory } from '../../db/lines.ts'
import { appendPost, findPostAt } from '../../db/posts.ts'
import { putQuestionPayload } from '../../db/questions.ts'
import { putRosterEntry, tierOf } from '../../db/roster.ts'
import { insertThread } from '../../db/threads.ts'
import type { Board, Cell, Question } from '../../db/schema.ts'
import { DomainError, validateEveryField, validateFields } from '../../domain/errors.ts'
import { readReference, REFERENCE } from '../../domain/letters.ts'
import { renderPostBody } from '../../domain/markdown.ts'
import { canonicalPostText } from '../../domain/posts.ts'
import { amendedPrinciples, type Threshold, type WithheldPost, withheldPost } from '../../domain/questions.ts'
import { checkBody, checkLine } from '../../domain/text.ts'
import { parseTiers, reaches } from '../../domain/tiers.ts'
import type { Session } from '../../ephemeral/sessions.ts'
import { clearsign, forgetSigningKey, generateDisposableKey, readPublicKey } from '../../pgp.ts'
import type { Deps } from '../deps.ts'
import { removePostAt, type Removed } from '../forget.ts'
import { removeFromRoster } from '../key-transitions.ts'
import { mayReadInbox } from '../letters.ts'
import { canRead } from '../reading.ts'
import { t, tIn, isLang, DEFAULT_LANG } from '../../i18n/index.ts'

// Every kind of line question in one table: each entry owns what is particular to it — who may
// raise it, what carries it, how its form is parsed into the payload stored with it (a schema
// parses it back at every read), how an adopted decision is carried out, and a line that says
// what it was about. Adding a kind is one entry here and its view (views/partials/question-kinds.ts).

/** What a raise form sent. Which fields matter depends on the kind. */
export type RaiseInput = Partial<Record<'kind' | 'argument' | 'board' | 'thread' | 'number' | 'principle' | 'change' | 'text' | 'answer' | 'reference' | 'public_key' | 'role' | 'name' | 'location' | 'fingerprint' | 'tier', string>> & { cell: string }

export type RaiseContext = { deps: Deps; cell: Cell; line: Line; session: Session; input: RaiseInput }
/** `site`: this server's id, which a published post's signed text names. */
export type CloseContext = { tx: Db; question: Question; closedAt: string; site: string }
/** What carrying a decision out leaves to do once its transaction has committed. */
export type AfterDecision = { removed?: Removed; endSessionsOf?: string; published?: { threadId: number; boardId: number } }
/** Who is looking (may they read this board?), for kinds that show some viewers less. */
export type ShowContext = { deps: Deps; question: Question; reads: (board: Board) => Promise<boolean> }
export type Shown<P> = { payload: P | Withheld; argument: boolean; post: { bodyHtml: string } | null }

/** An answer meant for a board this viewer may not read: that there is one, and nothing it says or where (a marker in the payload; pages word it from the catalog). */
export const WITHHELD_ANSWER = 'an answer to a letter, for a members-only board'
export type WithheldAnswer = { kind: 'publish_answer'; withheld: typeof WITHHELD_ANSWER }
/** What a kind shows in place of its payload to a viewer who may not see it. */
export type Withheld = WithheldPost | WithheldAnswer

type KindEntry<S extends z.ZodType> = {
  threshold: Threshold
  /** Any identity may raise it (otherwise only keys on the cell's roster). */
  anyone: boolean
  payload: S
  raise(ctx: RaiseContext): Promise<z.infer<S>>
  carryOut(ctx: CloseContext, payload: z.infer<S>): Promise<AfterDecision | void>
  /** What it was about, in a few words (the decision log; never more than any viewer may see). */
  summary(payload: z.infer<S>): string
  /** What one viewer may see of it, when that is not everything. */
  show?(ctx: ShowContext, payload: z.infer<S>): Promise<Shown<z.infer<S>>>
}
const entry = <S extends z.ZodType>(k: KindEntry<S>) => k

// ----- Reading a raise form's fields ----------------------------------------------------------

const need = (field: string, v: string | undefined, message: string) => {
  if (!v || v.trim() === '') throw new DomainError(422, message, { [field]: message })
  return v.trim()
}
const wholeNumber = (field: string, v: string | undefined, what: 'thread' | 'post' | 'principle') => {
  const s = need(field, v, t(`question_kinds.give_${what}_number`))
  if (!/^[1-9][0-9]{0,9}$/.test(s)) throw new DomainError(422, t(`question_kinds.${what}_number_whole`), { [field]: t(`question_kinds.${what}_number_whole`) })
  return Number(s)
}
const fingerprintField = (v: string | undefined) => {
  const s = need('fingerprint', v, t('question_kinds.give_fingerprint')).replace(/\s+/g, '').toLowerCase()
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(s)) throw new DomainError(422, t('question_kinds.not_fingerprint'), { fingerprint: t('question_kinds.fingerprint_digits') })
  return s
}
function oneOf<T extends string>(field: string, v: string | undefined, values: readonly T[], message: string): T {
  if (!values.includes(v as T)) throw new DomainError(422, message, { [field]: message })
  return v as T
}
function principleOf(line: Line, n: number) {
  const p = line.principles.find((x) => x.number === n)
  if (!p) throw new DomainError(422, t('question_kinds.no_principle', { principle: String(n) }), { principle: t('question_kinds.cite_principle', { count: line.principles.length }) })
  return p
}
/** One of the cell's tiers, as a raise form names it. */
function tierField(field: string, v: string | undefined, cell: Pick<Cell, 'tiers'>): string {
  const tiers = parseTiers(cell.tiers)
  return oneOf(field, v, tiers, t('question_kinds.choose_tier', { tiers: tiers.join(', ') }))
}
const tiersNow = async (db: Db, cellId: number) => parseTiers((await db.selectFrom('cell').select('tiers').where('id', '=', cellId).executeTakeFirstOrThrow()).tiers)
const findKeyId = async (db: Db, fpr: string) => (await db.selectFrom('public_key').select('id').where('fingerprint', '=', fpr).executeTakeFirst())?.id ?? null
const fieldsMessage = () => t('question_kinds.fields_refused')

const fingerprint = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/)
const positive = z.number().int().positive()

/** What a published answer's posts add around the letter and the answer (the reference, the decision). */
const ANSWER_WRAPPING = 200

/**
 * An answer's thread: its title and its two posts. The reference, when given, is in both title and
 * post, for its writer to find. Stored and signed, so written once in the cell's language.
 */
function answerPosts(p: { text: string; answer: string; reference: string | null }, question: number, cellLang: string) {
  const l = isLang(cellLang) ? cellLang : DEFAULT_LANG
  const reference = p.reference ?? ''
  const by = tIn(l, 'question_kinds.post_by', { number: String(question) })
  return {
    title: tIn(l, p.reference ? 'question_kinds.post_title_ref' : 'question_kinds.post_title', { reference }),
    letter: `${tIn(l, p.reference ? 'question_kinds.post_letter_head_ref' : 'question_kinds.post_letter_head', { reference })}\n\n${p.text}\n\n${by}`,
    reply: `${tIn(l, 'question_kinds.post_reply_head')}\n\n${p.answer}`,
  }
}

/** A principle's text as a summary quotes it: its first 80 characters (never half of one). */
const shortly = (text: string) => {
  const chars = Array.from(text)
  return chars.length > 80 ? `${chars.slice(0, 79).join('')}…` : text
}

// ----- The kinds -------------------------------------------------------------------------------

export const QUESTION_KINDS = {
  remove_post: entry({
    threshold: 'majority',
    anyone: true,
    // A post is named by its place (board, thread number, post number: never reused), not by a row id.
    payload: z.object({ kind: z.literal('remove_post'), board: z.string(), thread: positive, number: positive, principle: positive, principleText: z.string() }),
    async raise({ deps, cell, line, session, input }) {
      const v = await validateEveryField(
        {
          board: async () => {
            const b = await findBoard(deps.db, cell.id, need('board', input.board, t('question_kinds.give_board_of_post')))
            if (!b) throw new DomainError(422, t('question_kinds.post_not_in_cell'), { board: t('question_kinds.no_board_named') })
            return b
          },
          thread: () => wholeNumber('thread', input.thread, 'thread'),
          number: () => wholeNumber('number', input.number, 'post'),
          principle: () => principleOf(line, wholeNumber('principle', input.principle, 'principle')),
        },
        fieldsMessage(),
      )
      const { board, principle } = v
      // Before the post is looked up: whoever may not read the board learns nothing of its posts.
      if (!(await canRead(deps, board, session))) throw new DomainError(403, t('question_kinds.board_unreadable'))
      if (!(await findPostAt(deps.db, { boardId: board.id, thread: v.thread, number: v.number }))) throw new DomainError(422, t('question_kinds.no_such_post'), { number: t('question_kinds.no_post_there') })
      return { kind: 'remove_post' as const, board: board.slug, thread: v.thread, number: v.number, principle: principle.number, principleText: principle.text }
    },
    async carryOut({ tx, question }, p) {
      const board = await findBoard(tx, question.cell_id, p.board)
      const removed = board ? await removePostAt(tx, { board, thread: p.thread, number: p.number }) : null
      return removed ? { removed } : undefined
    },
    summary: (p) => t('question_kinds.summary_remove_post', { number: String(p.number), thread: String(p.thread), board: p.board, principle: String(p.principle) }),
    // The question is public, so that anyone can recheck its decision; a members' post is not. Its
    // board, thread, number and text, and the argument (which may quote it), go only to its readers.
    async show({ deps, question, reads }, p) {
      const board = await findBoard(deps.db, question.cell_id, p.board)
      if (!board || !(await reads(board))) return { payload: withheldPost(p), argument: false, post: null }
      const post = await findPostAt(deps.db, { boardId: board.id, thread: p.thread, number: p.number })
      return { payload: p, argument: true, post: post ? { bodyHtml: post.body_html } : null }
    },
  }),

  amend_line: entry({
    threshold: 'two_thirds',
    anyone: false,
    payload: z.object({ kind: z.literal('amend_line'), change: z.enum(['add', 'replace', 'remove']), principle: positive.nullable(), text: z.string().nullable() }),
    async raise({ line, input }) {
      // Each field is checked as far as the others allow: a principle only for a change that names one, a text unless it is a removal.
      const asked = input.change
      const v = await validateEveryField(
        {
          change: () => oneOf('change', asked, ['add', 'replace', 'remove'] as const, t('question_kinds.change_required')),
          principle: () => (asked === 'replace' || asked === 'remove' ? principleOf(line, wholeNumber('principle', input.principle, 'principle')).number : null),
          text: () => (asked === 'remove' ? null : checkLine('text', input.text ?? '', 500, t('question_kinds.the_principle'))),
        },
        fieldsMessage(),
      )
      return { kind: 'amend_line' as const, change: v.change, principle: v.principle, text: v.text }
    },
    async carryOut({ tx, question, closedAt }, p) {
      await lockCell(tx, question.cell_id)
      const history = await lineHistory(tx, question.cell_id) // newest first
      const now = history[0]!
      const asked = history.find((l) => l.version === question.line_version) ?? now
      const texts = amendedPrinciples(now.principles.map((x) => x.text), asked.principles.map((x) => x.text), p.change, p.principle, p.text)
      // Null: the principle it named was already replaced or removed by an earlier decision.
      if (texts) await insertLineVersion(tx, { cellId: question.cell_id, version: now.version + 1, createdAt: closedAt, questionId: question.id }, texts)
    },
    summary: (p) =>
      p.change === 'add'
        ? t('question_kinds.summary_add', { text: shortly(p.text!) })
        : p.change === 'replace'
          ? t('question_kinds.summary_replace', { principle: String(p.principle), text: shortly(p.text!) })
          : t('question_kinds.summary_remove', { principle: String(p.principle) }),
  }),

  admit_key: entry({
    threshold: 'majority',
    anyone: false,
    // `role` is the tier the key is admitted at (so named before the cell had tiers of its own).
    payload: z.object({ kind: z.literal('admit_key'), fingerprint, armored: z.string(), role: z.string() }),
    async raise({ deps, cell, input }) {
      const v = await validateEveryField(
        { role: () => tierField('role', input.role, cell), key: () => readPublicKey(need('public_key', input.public_key, t('question_kinds.paste_key_to_admit')), new Date(deps.now())) },
        fieldsMessage(),
      )
      return { kind: 'admit_key' as const, fingerprint: v.key.fingerprint, armored: v.key.armored, role: v.role }
    },
    async carryOut({ tx, question, closedAt }, p) {
      // A tier the operator has since taken away admits nobody (the decision log still says what was asked).
      if (!(await tiersNow(tx, question.cell_id)).includes(p.role)) return
      const keyId = await ensureKey(tx, { fingerprint: p.fingerprint, armored: p.armored, createdAt: closedAt })
      await putRosterEntry(tx, { cellId: question.cell_id, keyId, tier: p.role, createdAt: closedAt })
    },
    summary: (p) => t('question_kinds.summary_admit', { fingerprint: p.fingerprint, tier: p.role }),
  }),

  move_key: entry({
    threshold: 'majority',
    anyone: false,
    payload: z.object({ kind: z.literal('move_key'), fingerprint, from: z.string(), tier: z.string() }),
    async raise({ deps, cell, input }) {
      const v = await validateEveryField(
        {
          fingerprint: () => fingerprintField(input.fingerprint),
          tier: () => tierField('tier', input.tier, cell),
        },
        fieldsMessage(),
      )
      const from = await tierOf(deps.db, cell.id, v.fingerprint)
      if (!from) throw new DomainError(422, t('question_kinds.not_on_roster'), { fingerprint: t('question_kinds.not_on_roster_field') })
      if (from === v.tier) throw new DomainError(422, t('question_kinds.already_at_tier', { tier: from }), { tier: t('question_kinds.already_at_tier_field', { tier: from }) })
      return { kind: 'move_key' as const, fingerprint: v.fingerprint, from, tier: v.tier }
    },
    async carryOut({ tx, question, closedAt }, p) {
      // Only a key still on the roster moves, and only to a tier the cell still has.
      if (!(await tiersNow(tx, question.cell_id)).includes(p.tier)) return
      const key = await findKeyId(tx, p.fingerprint)
      if (key === null || (await tierOf(tx, question.cell_id, p.fingerprint)) === null) return
      await putRosterEntry(tx, { cellId: question.cell_id, keyId: key, tier: p.tier, createdAt: closedAt })
      // A key moved below the tier that reads the letters has read them: as after a removal, the
      // cell key ought to be rotated so that new letters reach only those who read them now.
      const cell = await tx.selectFrom('cell').select(['tiers', 'inbox_tier', 'key_fingerprint']).where('id', '=', question.cell_id).executeTakeFirstOrThrow()
      const tiers = parseTiers(cell.tiers)
      if (cell.key_fingerprint && reaches(tiers, p.from, cell.inbox_tier) && !reaches(tiers, p.tier, cell.inbox_tier)) await markKeyRotationDue(tx, question.cell_id, closedAt)
    },
    summary: (p) => t('question_kinds.summary_move', { fingerprint: p.fingerprint, from: p.from, tier: p.tier }),
  }),

  remove_key: entry({
    threshold: 'majority',
    anyone: false,
    payload: z.object({ kind: z.literal('remove_key'), fingerprint }),
    async raise({ deps, cell, input }) {
      const fpr = fingerprintField(input.fingerprint)
      if (!(await tierOf(deps.db, cell.id, fpr))) throw new DomainError(422, t('question_kinds.not_on_roster'), { fingerprint: t('question_kinds.not_on_roster_field') })
      return { kind: 'remove_key' as const, fingerprint: fpr }
    },
    async carryOut({ tx, question, closedAt }, p) {
      // The cell then owes a rotation of its key, which the removed key's holder may have.
      await removeFromRoster(tx, question.cell_id, p.fingerprint, closedAt)
      // Its sessions end at once, on every node, once the removal has committed.
      return { endSessionsOf: p.fingerprint }
    },
    summary: (p) => t('question_kinds.summary_remove_key', { fingerprint: p.fingerprint }),
  }),

  recognise_cell: entry({
    threshold: 'majority',
    anyone: false,
    payload: z.object({ kind: z.literal('recognise_cell'), name: z.string(), location: z.string(), fingerprint, armored: z.string() }),
    async raise({ deps, input }) {
      const v = await validateEveryField(
        {
          name: () => checkLine('name', input.name ?? '', 100, t('question_kinds.the_name')),
          location: () => {
            const l = need('location', input.location, t('question_kinds.give_address'))
            if (!/^https?:\/\/[^\s<>"]{1,300}$/i.test(l)) throw new DomainError(422, t('question_kinds.address_scheme'), { location: t('question_kinds.address_field') })
            return l
          },
          key: () => readPublicKey(need('public_key', input.public_key, t('question_kinds.paste_cell_key')), new Date(deps.now())),
        },
        fieldsMessage(),
      )
      return { kind: 'recognise_cell' as const, name: v.name, location: v.location, fingerprint: v.key.fingerprint, armored: v.key.armored }
    },
    async carryOut({ tx, question, closedAt }, p) {
      await recognise(tx, { cellId: question.cell_id, name: p.name, location: p.location, fingerprint: p.fingerprint, armored: p.armored, questionId: question.id, createdAt: closedAt })
    },
    summary: (p) => t('question_kinds.summary_recognise', { name: p.name }),
  }),

  withdraw_recognition: entry({
    threshold: 'majority',
    anyone: false,
    payload: z.object({ kind: z.literal('withdraw_recognition'), fingerprint, name: z.string() }),
    async raise({ deps, cell, input }) {
      const fpr = fingerprintField(input.fingerprint)
      const f = await findFraternal(deps.db, cell.id, fpr)
      if (!f) throw new DomainError(422, t('question_kinds.not_recognised'), { fingerprint: t('question_kinds.not_recognised_field') })
      return { kind: 'withdraw_recognition' as const, fingerprint: fpr, name: f.name }
    },
    async carryOut({ tx, question }, p) {
      await withdrawRecognition(tx, question.cell_id, p.fingerprint)
    },
    summary: (p) => t('question_kinds.summary_withdraw', { name: p.name }),
  }),

  publish_answer: entry({
    threshold: 'majority',
    anyone: false,
    // The letter as the cell would publish it (typed from the decrypted letter: the server cannot
    // read letters), the cell's answer, the board, and the reference its writer keeps. `thread`:
    // the thread it was published as, once adopted (null until then).
    payload: z.object({
      kind: z.literal('publish_answer'),
      board: z.string(),
      text: z.string(),
      answer: z.string(),
      reference: z.string().regex(REFERENCE).nullable(),
      thread: positive.nullable(),
    }),
    async raise({ deps, cell, session, input }) {
      // Only those who read the letters have one to answer (an inbox reader: the voters, for now).
      if (!(await mayReadInbox(deps, cell, session))) throw new DomainError(403, t('question_kinds.inbox_only', { tier: cell.inbox_tier }))
      const room = deps.config.bodyMax - ANSWER_WRAPPING
      const v = validateFields(
        {
          board: () => need('board', input.board, t('question_kinds.give_publish_board')),
          text: () => checkBody('text', input.text ?? '', room),
          answer: () => checkBody('answer', input.answer ?? '', room),
          reference: () => {
            const typed = input.reference?.trim() ?? ''
            if (typed === '') return null
            const ref = readReference(typed)
            if (!ref) throw new DomainError(422, t('question_kinds.not_reference'), { reference: t('question_kinds.reference_field') })
            return ref
          },
        },
        fieldsMessage(),
      )
      const board = await findBoard(deps.db, cell.id, v.board)
      // A board this key may not read is answered as one that does not exist.
      if (!board || !(await canRead(deps, board, session))) throw new DomainError(422, t('question_kinds.answer_no_board'), { board: t('question_kinds.no_board_named') })
      const p = { kind: 'publish_answer' as const, board: board.slug, text: v.text, answer: v.answer, reference: v.reference, thread: null }
      // Rendered now as it would be then, so that carrying it out cannot fail on what it says.
      const posts = answerPosts(p, 0, cell.lang)
      validateFields({ text: () => renderPostBody(posts.letter, '/', 'text'), answer: () => renderPostBody(posts.reply, '/', 'answer') }, fieldsMessage())
      return p
    },
    // Published as any thread is, signed like a post by a disposable identity: a key made for this
    // decision alone (its user ID names it), whose private key signs the two posts and is dropped.
    // The server holds no key of the cell's, and the raiser is not recorded, so neither signs.
    async carryOut({ tx, question, closedAt, site }, p) {
      const board = await findBoard(tx, question.cell_id, p.board)
      const cell = await findCellById(tx, question.cell_id)
      if (!board || !cell) return // the board was deleted while the question was open: nowhere to publish
      const posts = answerPosts(p, question.number, cell.lang)
      const at = new Date(closedAt)
      const key = await generateDisposableKey(at, `cellboard decision ${question.number} of ${cell.slug}`)
      try {
        const keyId = await ensureKey(tx, { fingerprint: key.fingerprint, armored: key.armoredPublic, createdAt: closedAt })
        const thread = await insertThread(tx, { boardId: board.id, title: posts.title, createdAt: closedAt })
        const threadPath = `/c/${cell.slug}/${board.slug}/t/${thread.number}`
        const place = { site, cell: cell.slug, board: board.slug }
        for (const [body, text] of [
          [posts.letter, canonicalPostText({ ...place, thread: 'new', title: posts.title, body: posts.letter })],
          [posts.reply, canonicalPostText({ ...place, thread: thread.number, title: null, body: posts.reply })],
        ] as const) {
          const signedText = await clearsign(text, key.armoredPrivate, at)
          await appendPost(tx, { thread_id: thread.id, key_id: keyId, signing: 'disposable', body_source: body, body_html: renderPostBody(body, threadPath), signed_text: signedText, created_at: closedAt })
        }
        await putQuestionPayload(tx, question.id, JSON.stringify({ ...p, thread: thread.number }))
        return { published: { threadId: thread.id, boardId: board.id } }
      } finally {
        forgetSigningKey(key.fingerprint)
      }
    },
    summary: (p) => (p.reference ? t('question_kinds.summary_answer_ref', { reference: p.reference, board: p.board }) : t('question_kinds.summary_answer', { board: p.board })),
    // As public as the board it is for: its text, answer, reference and argument go only to those
    // who may read that board, before the decision and after.
    async show({ deps, question, reads }, p) {
      const board = await findBoard(deps.db, question.cell_id, p.board)
      if (!board || !(await reads(board))) return { payload: { kind: 'publish_answer', withheld: WITHHELD_ANSWER }, argument: false, post: null }
      return { payload: p, argument: true, post: null }
    },
  }),
}

export type QuestionKind = keyof typeof QUESTION_KINDS
export type PayloadOf<K extends QuestionKind> = z.infer<(typeof QUESTION_KINDS)[K]['payload']>
export type Payload = { [K in QuestionKind]: PayloadOf<K> }[QuestionKind]
/** A question's payload as one viewer is shown it. */
export type ShownPayload = Payload | Withheld

export const isQuestionKind = (k: string): k is QuestionKind => Object.hasOwn(QUESTION_KINDS, k)

/** A kind's label in the reader's language, for a stored kind (a kind no longer known shows as itself). */
export const labelOf = (kind: string) => (isQuestionKind(kind) ? t(`question_kinds.label_${kind}`) : kind)

/** The kind's table entry, typed loosely: for code that handles every kind the same way. */
export const kindOf = (k: QuestionKind) => QUESTION_KINDS[k] as unknown as KindEntry<z.ZodType<Payload>>

/** A stored question's payload, parsed with its kind's schema (a row that does not fit is a bug). */
export function payloadOf(q: Pick<Question, 'kind' | 'payload'>): Payload {
  if (!isQuestionKind(q.kind)) throw new Error(`a stored question of unknown kind ${q.kind}`)
  return kindOf(q.kind).payload.parse(JSON.parse(q.payload))
}
