// What a feed says, before it is written as Atom (views/feeds.ts).

export type FeedEntry = {
  /** A tag: URI (feedId), stable however the board is reached. */
  id: string
  /** Plain text; escaped here (the library sends titles as HTML). */
  title: string
  path: string
  updated: string
  /** A post's stored, sanitised HTML, or plain text to escape. */
  content: { trustedHtml: string } | { text: string }
  author?: string
}

export type FeedProps = {
  id: string
  title: string
  /** The page the feed follows, and the feed's own address. */
  path: string
  self: string
  /** Who publishes it (the cell): Atom needs an author, and the posters' keys are not it. */
  author: string
  /** The newest coarse time in it, or, when it is empty, when its board or cell was made. */
  updated: string
  entries: FeedEntry[]
}

/** A tag: URI (RFC 4151) naming something of a cell on this site: the site id and the cell's first day, then its path. */
export const feedId = (siteId: string, cellCreatedAt: string, path: string) => `tag:${siteId},${cellCreatedAt.slice(0, 10)}:${path.replace(/^\/c\//, '')}`


/** The feeds' addresses, for the pages that link to them. */
export const feedPaths = {
  board: (cell: string, board: string) => `/c/${cell}/${board}/feed.atom`,
  decisions: (cell: string) => `/c/${cell}/decisions/feed.atom`,
  answers: (cell: string) => `/c/${cell}/decisions/answers.atom`,
}
