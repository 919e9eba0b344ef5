import { NoResultError } from 'kysely'
import { ensureKey } from '../db/keys.ts'
import { appendPost, findQuotedPosts, insertReferences } from '../db/posts.ts'
import { findThread, insertThread } from '../db/threads.ts'
import { DomainError, notFound, validateFields } from '../domain/errors.ts'
import { postReferences, renderPostBody } from '../domain/markdown.ts'
import { canonicalPostText, parsePostText, type Signing } from '../domain/posts.ts'
import { canonicalBody, checkBody, checkLine } from '../domain/text.ts'
import { coarseTime } from '../domain/time.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { t } from '../i18n/index.ts'
import { clearsign, verifyClearsigned, verifyDetached } from '../pgp.ts'
import type { Deps } from './deps.ts'
import { payForPost } from './flood.ts'
import { assertKeyStillValid } from './identities.ts'
import { refusal } from './access.ts'
import { openBoard } from './reading.ts'
import { cacheKey, cacheTag } from './page-cache.ts'
import { takeLimit, withinLimit } from './limits.ts'
import { requireSession, type Who } from './who.ts'


export type Published = {
  /** The thread's row id: internal (cache tags), never in an address. */
  threadId: number
  /** The thread's number on its board, as its address and signed texts name it. */
  thread: number
  threadPath: string
  number: number
  page: number
  post: { number: number; signing: Signing; bodyHtml: string; createdAt: string; fingerprint: string; signed: boolean }
}

/** What a posting form sent: the fields, and at most one of the two ways to sign them yourself. */
export type PostInput = {
  cell: string
  board: string
  title: string
  body: string
  /** A clearsigned canonical post text (GnuPG, pasted with JS off). */
  signed?: string
  /** A detached signature over the canonical text of title and body (a browser key). */
  signature?: string
  /** The form's cost fields, paid on a board in flood (services/flood.ts). */
  cost?: Record<string, string | undefined>
}

type Signed = { signing: Signing; signedText: string | null; title: string; body: string }

/** A post's text as checked, before anything is signed or stored: what posting and previewing share. */
type Checked =
  | { pasted: true; armored: string; title: string; body: string }
  | { pasted: false; title: string; body: string; text: string }

/**
 * Check what a form would post, as posting does and in its order, without signing or storing: a
 * pasted clearsigned text (the post is then exactly the signed text) is verified and read, or
 * else the plain fields are. A form with both filled is refused: which one the person meant is
 * theirs to say, not ours to guess after the fact.
 */
async function checkPost(deps: Deps, session: Session, place: Place, input: PostInput): Promise<Checked> {
  const isNew = place.thread === 'new'
  if (input.signed?.trim()) {
    if (input.body.trim() || input.title.trim()) {
      // A reply has no title box: it is not told to empty one.
      throw new DomainError(422, t(isNew ? 'thread.both_boxes' : 'thread.both_boxes_reply'), {
        signed: t('thread.both_boxes_signed'),
        body: t(isNew ? 'thread.both_boxes_body' : 'thread.both_boxes_body_reply'),
      })
    }
    const verified = await verifyClearsigned(input.signed, session.armoredPublic, new Date(deps.now()))
    const p = parsePostText(verified.text)
    for (const k of ['site', 'cell', 'board', 'thread'] as const) {
      if (p[k] !== place[k]) throw new DomainError(422, t('thread.signed_elsewhere', { line: `${k}: ${p[k]}`, name: k, value: String(place[k]) }), { signed: t('thread.signed_elsewhere_field', { name: k }) })
    }
    if (isNew !== (p.title !== null)) throw new DomainError(422, isNew ? t('thread.signed_needs_title') : t('thread.signed_reply_title'), { signed: t('thread.sign_shown') })
    if (canonicalBody(p.body) !== p.body) throw new DomainError(422, t('thread.signed_blank_lines'), { signed: t('thread.signed_blank_lines_field') })
    const v = validateFields(
      { title: () => (p.title === null ? '' : checkLine('signed', p.title, deps.config.titleMax)), body: () => checkBody('signed', p.body, deps.config.bodyMax) },
      t('thread.signed_refused'),
    )
    if (isNew && v.title !== p.title) throw new DomainError(422, t('thread.signed_title_spaces'), { signed: t('thread.signed_title_spaces_field') })
    return { pasted: true, armored: verified.armored, title: v.title, body: v.body }
  }

  const v = validateFields(
    { title: () => (isNew ? checkLine('title', input.title, deps.config.titleMax) : ''), body: () => checkBody('body', input.body, deps.config.bodyMax) },
    isNew ? t('board.thread_refused') : t('thread.reply_refused'),
  )
  return { pasted: false, ...v, text: canonicalPostText({ ...place, title: isNew ? v.title : null, body: v.body }) }
}

/**
 * Decide how the checked post is signed, in this order: a pasted clearsigned text; a browser's
 * detached signature over the fields; the server's signature with a disposable key; otherwise the
 * post is session-attested (the server vouches only that the session proved the key).
 */
async function signPost(deps: Deps, session: Session, place: Place, input: PostInput, createdAt: string): Promise<Signed> {
  const c = await checkPost(deps, session, place, input)
  const v = { title: c.title, body: c.body }
  if (c.pasted) return { signing: 'gpg-signed', signedText: c.armored, ...v }
  if (input.signature?.trim()) return { signing: 'browser', signedText: await verifyDetached(c.text, input.signature, session.armoredPublic, new Date(deps.now())), ...v }
  if (session.kind === 'disposable' && session.armoredPrivate) return { signing: 'disposable', signedText: await clearsign(c.text, session.armoredPrivate, new Date(createdAt)), ...v }
  return { signing: 'session-attested', signedText: null, ...v }
}

/** Where a post goes: what its canonical text names. */
type Place = { site: string; cell: string; board: string; thread: number | 'new' }

/**
 * The thread a post goes to, by its number on the board: its row id is kept, as the board's place
 * is (a thread never moves or changes number; a removal drops everything kept, on every node). A
 * reply on a busy board then looks nothing up before it is written. Should a thread be removed on
 * another node an instant before this one hears of it, the write finds no row and answers 404.
 */
async function threadToPost(deps: Deps, boardId: number, number: number): Promise<{ id: number; number: number } | null> {
  const key = cacheKey.threadId(boardId, number)
  const kept = deps.cache.get<number>(key)
  if (kept) return { id: kept.meta, number }
  const since = deps.cache.epoch()
  const thread = await findThread(deps.db, boardId, number)
  if (!thread) return null
  deps.cache.set(key, { meta: thread.id, bytes: new Uint8Array(0), tags: [cacheTag.board(boardId)] }, since)
  return { id: thread.id, number: thread.number }
}

/** The checks a post passes before its text is looked at: the board, the thread, who sends it, the post tier. */
async function openForPosting(deps: Deps, who: Who, input: { cell: string; board: string; thread: number | 'new' }, doing: string) {
  const { cell, board } = await openBoard(deps, input.cell, input.board, who.session)
  const existing = input.thread === 'new' ? null : await threadToPost(deps, board.id, input.thread)
  if (input.thread !== 'new' && !existing) throw notFound(t('thread.thread_not_found'))
  const session = requireSession(who, doing)
  await assertKeyStillValid(deps, session)
  // A board posted to from a tier up (services/access.ts); readers below it may read, not post.
  const refused = await refusal(deps, cell.id, board.post_tier, 'post', session)
  if (refused) throw refused
  return { cell, board, existing, session }
}

/** A post as it would appear, and how it would be signed; nothing of it is stored. */
export type Preview = {
  /** A new thread's title; null for a reply. */
  title: string | null
  bodyHtml: string
  fingerprint: string
  /** How it will be signed when sent as it is (a browser key signs in the browser, with JavaScript on). */
  signing: Signing
  /** Whether the clearsigned box is what will be posted (the plain boxes being empty). */
  pasted: boolean
  /** For a GnuPG session posting plain text: the exact text to clearsign instead. */
  toSign: string | null
}

/**
 * Preview a post: the same checks as posting, in the same order, and the same rendering, but
 * nothing is stored, signed, counted against the key's posting limit (previews have their own) or paid: on a board in flood the
 * check (proof of work or picture) is left for the post itself, so a preview never spends it.
 */
export async function previewPost(deps: Deps, who: Who, input: PostInput & { thread: number | 'new' }): Promise<Preview> {
  const { cell, board, existing, session } = await openForPosting(deps, who, input, t('thread.doing_preview'))
  const place = { site: deps.config.siteId, cell: cell.slug, board: board.slug, thread: existing?.number ?? ('new' as const) }
  // Counted on its own: a preview spends none of the key's posts, but it costs the server what a
  // post costs to check, render and verify, so an identity cannot keep it busy with previews.
  await takeLimit(deps, 'preview', session)
  const c = await checkPost(deps, session, place, input)
  // >>N in a new thread's preview points nowhere yet: the thread has no number until it is posted.
  const threadPath = `/c/${cell.slug}/${board.slug}/t/${existing?.number ?? 'new'}`
  // As it will be posted: a >>N links only a post of the thread that exists (every one is earlier).
  const exists = existing ? await findQuotedPosts(deps.db, existing.id, c.body) : []
  const bodyHtml = renderPostBody(c.body, threadPath, c.pasted ? 'signed' : 'body', new Set(exists.map((q) => q.number)))
  const signing: Signing = c.pasted ? 'gpg-signed' : session.kind === 'disposable' && session.armoredPrivate ? 'disposable' : session.kind === 'browser' ? 'browser' : 'session-attested'
  return {
    title: existing ? null : c.title,
    bodyHtml,
    fingerprint: session.fingerprint,
    signing,
    pasted: c.pasted,
    toSign: !c.pasted && session.kind === 'gpg' ? c.text : null,
  }
}

/**
 * The one write path for posts: a new thread's opening post, or a reply. One order of checks, for
 * both: the board (missing: 404; not this viewer's to read: the same 403 at every address under
 * it), the thread a reply goes to (404), who sends it (an identity, the one the form was shown
 * for, a key still valid), its count for its board and its cost on a board in flood (422), its
 * limit (429), what it says and how it is signed (422); a post refused after it was counted gives
 * both counts back. Then one transaction: the
 * key, the thread if it is new, the post rendered once (its >>N links need the thread's number, and
 * link only posts that exist) with the posts it quotes; on SQLite it is committed with the posts
 * that arrive at the same time (one fsync for them all), and on PostgreSQL a reply that quotes
 * nothing, by a key already stored, is one statement instead. Then the thread's and board's
 * cached pages are dropped everywhere.
 */
async function publishPost(deps: Deps, who: Who, input: PostInput & { thread: number | 'new' }): Promise<Published> {
  const { cell, board, existing, session } = await openForPosting(deps, who, input, t('thread.doing_post'))
  // Counted for its board, and on a board in flood paid (services/flood.ts); given back, as the
  // key's count below is, if the post is refused after all.
  const counted = await payForPost(deps, { cell, board }, session, input.cost ?? {})
  let published: Published
  try {
    published = await publishCounted(deps, { cell, board, existing, session }, input)
  } catch (e) {
    await counted.giveBack()
    throw e
  }
  // Written: a post past the threshold now holds the board in flood (and one that begins the hold
  // drops every page of the board, on every node).
  await counted.written()
  return published
}

async function publishCounted(deps: Deps, open: Awaited<ReturnType<typeof openForPosting>>, input: PostInput & { thread: number | 'new' }): Promise<Published> {
  const { cell, board, existing, session } = open
  // Counted before the signature is checked or made (a flood costs little to refuse), and given
  // back if the post is refused for what it says.
  const taken = await takeLimit(deps, existing ? 'reply' : 'thread', session)
  // One reading of the clock: the post's published time is also its signature's.
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  const place = { site: deps.config.siteId, cell: cell.slug, board: board.slug, thread: existing?.number ?? ('new' as const) }
  const s = await withinLimit(deps, taken, () => signPost(deps, session, place, input, createdAt))

  const threadPath = (number: number) => `/c/${cell.slug}/${board.slug}/t/${number}`
  const kind = s.signing === 'gpg-signed' ? 'signed' : 'body'
  const post = { signing: s.signing, body_source: s.body, signed_text: s.signedText, created_at: createdAt }
  // A reply that quotes nothing, on PostgreSQL: one statement (db/posts.ts, replyWriter; with the
  // replies to its thread that arrive meanwhile, while the one before is written),
  // which also tells the other nodes its pages are stale when it commits. Undefined when the
  // key has no row yet: the transaction below then writes both.
  const notice = deps.storage.notice([cacheTag.thread(existing?.id ?? 0), cacheTag.listing(board.id)])
  const appendReply = deps.storage.appendReply
  const atOnce = existing && appendReply && postReferences(s.body).length === 0
    ? await withinLimit(deps, taken, async () => {
        const bodyHtml = renderPostBody(s.body, threadPath(existing.number), kind, new Set())
        const appended = await appendReply(existing.id, { ...post, fingerprint: session.fingerprint, body_html: bodyHtml }, notice)
        return appended && { threadId: existing.id, thread: existing.number, threadPath: threadPath(existing.number), number: appended.number, postCount: appended.postCount, bodyHtml }
      })
    : undefined

  const written = atOnce ?? (await withinLimit(deps, taken, () => deps.storage.commitTogether(async (tx) => {
    const keyId = await ensureKey(tx, { fingerprint: session.fingerprint, armored: session.armoredPublic, createdAt })
    const thread = existing ?? (await insertThread(tx, { boardId: board.id, title: s.title, createdAt }))
    // Its >>N are resolved once its number is taken: a link to each earlier post that exists, text
    // for any other number; each quoted post will list this one among its replies.
    let bodyHtml = ''
    let quoted: { id: number; number: number }[] = []
    const appended = await appendPost(tx, {
      ...post, thread_id: thread.id, key_id: keyId,
      body_html: async (number) => {
        quoted = await findQuotedPosts(tx, thread.id, s.body, number)
        bodyHtml = renderPostBody(s.body, threadPath(thread.number), kind, new Set(quoted.map((q) => q.number)))
        return bodyHtml
      },
    })
    await insertReferences(tx, appended.id, quoted.map((q) => q.id))
    return { threadId: thread.id, thread: thread.number, threadPath: threadPath(thread.number), number: appended.number, postCount: appended.postCount, bodyHtml }
  }).catch((e) => {
    // The kept thread was removed meanwhile (threadToPost): its row was not there to number the post.
    throw existing && e instanceof NoResultError ? notFound(t('thread.thread_not_found')) : e
  })))
  // The one statement told the other nodes already. (A post that begins a flood drops every page
  // of the board once it is written: publishPost, services/flood.ts.)
  if (atOnce) deps.cache.drop([cacheTag.thread(written.threadId), cacheTag.listing(board.id)])
  else deps.cache.invalidateThread(written.threadId, board.id)
  // Every post before it in the thread is numbered below it (the thread's row was taken).
  const page = Math.floor((written.postCount - 1) / deps.config.postsPerPage) + 1
  return { ...written, page, post: { number: written.number, signing: s.signing, bodyHtml: written.bodyHtml, createdAt, fingerprint: session.fingerprint, signed: s.signedText !== null } }
}

/** Start a thread: its opening post, through the one write path. */
/** Preview a new thread's opening post. */
export const previewThread = (deps: Deps, who: Who, input: PostInput): Promise<Preview> => previewPost(deps, who, { ...input, thread: 'new' })

/** Preview a reply. */
export const previewReply = (deps: Deps, who: Who, input: Omit<PostInput, 'title'> & { thread: number }): Promise<Preview> => previewPost(deps, who, { ...input, title: '' })

export const startThread = (deps: Deps, who: Who, input: PostInput): Promise<Published> => publishPost(deps, who, { ...input, thread: 'new' })

/** Reply to a thread, named by its number on the board, through the one write path. */
export const replyToThread = (deps: Deps, who: Who, input: Omit<PostInput, 'title'> & { thread: number }): Promise<Published> => publishPost(deps, who, { ...input, title: '' })
