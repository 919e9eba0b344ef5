import { recentPostsOnBoard } from '../db/posts.ts'
import type { Cell } from '../db/schema.ts'
import { feedId, type FeedEntry, type FeedProps } from '../domain/feeds.ts'
import { showPseudonym, pseudonymOf } from '../domain/pseudonym.ts'
import type { Session } from '../ephemeral/sessions.ts'
import { t } from '../i18n/index.ts'
import type { Deps } from './deps.ts'
import { readDecisions, readPublishedAnswers } from './questions/read.ts'
import type { ReadableBoard } from './reading.ts'

// Atom feeds of what a cell publishes: a board's new threads and posts, the cell's decisions, and
// the answers to letters it published. Each reads through the same use case as its page, so it
// shows exactly what that page shows this viewer; the Atom itself is views/feeds.ts. A feed's own
// words are in the language of the request, as a page's are (a board's is kept per language).

/** Entries in a feed: a reader polls, so the newest are enough. */
export const FEED_ENTRIES = 50

/** The newest of the entries' coarse times, or `empty` when there are none. */
const newest = (entries: FeedEntry[], empty: string) => entries.reduce((m, e) => (e.updated > m ? e.updated : m), empty)

const id = (deps: Deps, cell: Pick<Cell, 'created_at'>, path: string) => feedId(deps.config.siteId, cell.created_at, path)

/** A board's latest posts, a new thread's first post among them. Only a board openBoard let this viewer read. */
export async function readBoardFeed(deps: Deps, at: ReadableBoard): Promise<FeedProps> {
  const path = `/c/${at.cell.slug}/${at.board.slug}`
  const posts = await recentPostsOnBoard(deps.db, at.board.id, FEED_ENTRIES)
  const entries = posts.map((p): FeedEntry => {
    const postPath = `${path}/t/${p.thread}/p/${p.number}`
    return {
      id: id(deps, at.cell, postPath),
      title: p.number === 1 ? p.title : t('feeds.reply_title', { title: p.title, number: p.number }),
      path: postPath,
      updated: p.created_at,
      content: { trustedHtml: p.body_html },
      // As the thread page shows who signed it: the key's pseudonym, never more.
      author: showPseudonym(pseudonymOf(p.fingerprint)),
    }
  })
  return { id: id(deps, at.cell, path), title: t('feeds.board_title', { board: at.board.name, cell: at.cell.name }), path, self: `${path}/feed.atom`, author: at.cell.name, updated: newest(entries, at.board.created_at), entries }
}

/** The cell's decisions, newest first, each saying what it was about no more than the log does to this viewer. */
export async function readDecisionFeed(deps: Deps, cellSlug: string, session: Session | null): Promise<FeedProps> {
  const { cell, decisions } = await readDecisions(deps, cellSlug, session)
  const path = `/c/${cell.slug}/decisions`
  const entries = decisions.slice(0, FEED_ENTRIES).map((d): FeedEntry => {
    const questionPath = `/c/${cell.slug}/questions/${d.number}`
    return { id: id(deps, cell, questionPath), title: t('feeds.decision_title', { number: d.number, label: d.label, outcome: d.outcome }), path: questionPath, updated: d.at, content: { text: t('feeds.decision_text', { label: d.label, about: d.about, outcome: d.outcome }) } }
  })
  return { id: id(deps, cell, path), title: t('feeds.decisions_title', { cell: cell.name }), path, self: `${path}/feed.atom`, author: cell.name, updated: newest(entries, cell.created_at), entries }
}

/** The answers to letters the cell published, each the thread it was published as (on boards this viewer reads). */
export async function readAnswerFeed(deps: Deps, cellSlug: string, session: Session | null): Promise<FeedProps> {
  const { cell, answers } = await readPublishedAnswers(deps, cellSlug, session)
  const path = `/c/${cell.slug}/decisions`
  const entries = answers.slice(0, FEED_ENTRIES).map((a): FeedEntry => {
    const threadPath = `/c/${cell.slug}/${a.board}/t/${a.thread}`
    return {
      id: id(deps, cell, threadPath),
      title: a.title,
      path: threadPath,
      updated: a.at,
      content: a.posts.length ? { trustedHtml: a.posts.map((p) => p.body_html).join('\n') } : { text: t('feeds.published_by', { number: a.decision }) },
    }
  })
  return { id: id(deps, cell, `/c/${cell.slug}/answers`), title: t('feeds.answers_title', { cell: cell.name }), path, self: `${path}/answers.atom`, author: cell.name, updated: newest(entries, cell.created_at), entries }
}
