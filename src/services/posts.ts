import { ensureKey } from '../db/keys.ts'
import { appendPost } from '../db/posts.ts'
import { findThread, insertThread } from '../db/threads.ts'
import { DomainError, notFound, validateFields } from '../domain/errors.ts'
import { renderPostBody } from '../domain/markdown.ts'
import { canonicalPostText, type Signing } from '../domain/posts.ts'
import { checkBody, checkLine } from '../domain/text.ts'
import { coarseTime } from '../domain/time.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { clearsign } from '../pgp.ts'
import type { Deps } from './deps.ts'
import { assertCanRead, findBoardOrThrow, pageOfPost } from './reading.ts'

export type Published = {
  threadId: number
  threadPath: string
  number: number
  page: number
  post: { number: number; signing: Signing; bodyHtml: string; createdAt: string; fingerprint: string; signed: boolean }
}

function requireIdentity(session: Session | null, expired: boolean): Session {
  if (session) return session
  throw new DomainError(403, expired
    ? 'Your identity’s session has ended (idle too long, or burned), so there is no key to sign with. Take an identity and submit again.'
    : 'Posting needs an identity to sign with. Take an identity, then submit again.')
}

/** Sign the canonical text with the key the session holds. */
async function signForSession(session: Session, text: string): Promise<{ signing: Signing; signedText: string }> {
  if (session.kind === 'disposable' && session.armoredPrivate) {
    return { signing: 'disposable', signedText: await clearsign(text, session.armoredPrivate) }
  }
  throw new DomainError(422, 'This identity cannot sign on the server.')
}

export async function startThread(
  deps: Deps,
  who: { session: Session | null; expired: boolean },
  input: { cell: string; board: string; title: string; body: string },
): Promise<Published> {
  const session = requireIdentity(who.session, who.expired)
  const { title, body } = validateFields(
    { title: () => checkLine('title', input.title, deps.config.titleMax), body: () => checkBody('body', input.body, deps.config.bodyMax) },
    'The thread was not started: see the messages beside the fields.',
  )
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  await assertCanRead(deps, board, session)

  const text = canonicalPostText({ site: deps.config.siteId, cell: cell.slug, board: board.slug, thread: 'new', title, body })
  const { signing, signedText } = await signForSession(session, text)
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)

  const result = await deps.db.transaction().execute(async (tx) => {
    const keyId = await ensureKey(tx, { fingerprint: session.fingerprint, armored: session.armoredPublic, createdAt })
    const threadId = await insertThread(tx, { boardId: board.id, title, createdAt })
    const threadPath = `/c/${cell.slug}/${board.slug}/t/${threadId}`
    const bodyHtml = renderPostBody(body, threadPath)
    const post = await appendPost(tx, { thread_id: threadId, key_id: keyId, signing, body_source: body, body_html: bodyHtml, signed_text: signedText, created_at: createdAt })
    return { threadId, threadPath, number: post.number, bodyHtml }
  })
  deps.cache.invalidateThread(result.threadId, board.id)
  return { ...result, page: 1, post: { number: result.number, signing, bodyHtml: result.bodyHtml, createdAt, fingerprint: session.fingerprint, signed: true } }
}

export async function replyToThread(
  deps: Deps,
  who: { session: Session | null; expired: boolean },
  input: { cell: string; board: string; threadId: number; body: string },
): Promise<Published> {
  const { cell, board } = await findBoardOrThrow(deps, input.cell, input.board)
  const thread = await findThread(deps.db, board.id, input.threadId)
  if (!thread) throw notFound('That thread')
  const session = requireIdentity(who.session, who.expired)
  const body = checkBody('body', input.body, deps.config.bodyMax)
  await assertCanRead(deps, board, session)

  const text = canonicalPostText({ site: deps.config.siteId, cell: cell.slug, board: board.slug, thread: thread.id, title: null, body })
  const { signing, signedText } = await signForSession(session, text)
  const createdAt = coarseTime(deps.now(), deps.config.timeGranularityMs)
  const threadPath = `/c/${cell.slug}/${board.slug}/t/${thread.id}`
  const bodyHtml = renderPostBody(body, threadPath)

  const post = await deps.db.transaction().execute(async (tx) => {
    const keyId = await ensureKey(tx, { fingerprint: session.fingerprint, armored: session.armoredPublic, createdAt })
    return appendPost(tx, { thread_id: thread.id, key_id: keyId, signing, body_source: body, body_html: bodyHtml, signed_text: signedText, created_at: createdAt })
  })
  deps.cache.invalidateThread(thread.id, board.id)
  const page = await pageOfPost(deps, thread.id, post.number)
  return { threadId: thread.id, threadPath, number: post.number, page, post: { number: post.number, signing, bodyHtml, createdAt, fingerprint: session.fingerprint, signed: true } }
}
