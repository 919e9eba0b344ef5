import { posix } from 'node:path'

// Where each of the server's addresses lives in a cell's archive, and the pass that turns a page
// rendered by the server's own views (absolute addresses, /c/CELL/...) into one with relative
// links, so the folder reads the same from any static host, any sub-path, or file://.
// An address the archive does not hold (forms, the inbox, other cells) leads to offline.html,
// which says so: never to a broken link, never to another host.

export const OFFLINE = 'offline.html'
export const CELL_KEY = 'cell-key.asc'

export type ArchiveMap = {
  cell: string
  /** The public boards, the only ones the archive holds. */
  boards: ReadonlySet<string>
}

/** Page N of a listing: page 1 is the plain file. */
const paged = (base: string, page: number) => (page <= 1 ? `${base}.html` : `${base}-page-${page}.html`)

export const archiveFiles = {
  cell: () => 'index.html',
  line: () => 'line.html',
  decisions: () => 'decisions.html',
  keyTransitions: () => 'key-transitions.html',
  keyTransitionFile: (n: number, file: 'key' | 'statement') => `key-transitions/${n}/${file}.asc`,
  question: (n: number) => `questions/${n}.html`,
  bundle: (n: number) => `questions/${n}.bundle.json`,
  board: (board: string, page = 1) => paged(`b/${board}/index`, page),
  thread: (board: string, thread: number, page = 1) => paged(`b/${board}/t/${thread}`, page),
  signedText: (board: string, thread: number, n: number) => `b/${board}/t/${thread}/${n}.asc`,
  key: (fingerprint: string) => `k/${fingerprint}.asc`,
  keysPage: (n: number) => `keys/${n}.json`,
  boardFeed: (board: string) => `b/${board}/feed.atom`,
  decisionsFeed: () => 'decisions.atom',
  answersFeed: () => 'answers.atom',
  /** The JSON twin of a page. */
  json: (htmlFile: string) => htmlFile.replace(/\.html$/, '.json'),
}

/** A post address (/c/CELL/BOARD/t/N/p/X) that a page links to: which board, thread and post. */
export type PostRef = { board: string; thread: number; number: number }
const POST_REF = /^\/c\/([^/?#]+)\/([^/?#]+)\/t\/([0-9]+)\/p\/([0-9]+)$/

/** Every post address in a page, for the caller to find the page each post is on. */
export function postRefsIn(page: string, map: ArchiveMap): PostRef[] {
  const out: PostRef[] = []
  for (const m of page.matchAll(/href="([^"]*)"/g)) {
    const r = POST_REF.exec(m[1]!.replace(/#.*$/, ''))
    if (r && r[1] === map.cell && map.boards.has(r[2]!)) out.push({ board: r[2]!, thread: Number(r[3]), number: Number(r[4]) })
  }
  return out
}
export const postRefKey = (r: PostRef) => `${r.board}/${r.thread}/${r.number}`

/**
 * The archive file (and fragment) for one of the server's addresses, or null when the archive
 * does not hold it. `postPages` gives the page of each post address the page links to (absent:
 * the post is gone).
 */
export function archiveFileOf(address: string, map: ArchiveMap, postPages: ReadonlyMap<string, number> = new Map()): string | null {
  const [pathAndQuery, fragment] = splitOnce(address, '#')
  const [path, query] = splitOnce(pathAndQuery, '?')
  const page = Number(/(?:^|&)page=([0-9]+)/.exec(query ?? '')?.[1] ?? '1')
  const hash = fragment === undefined ? '' : `#${fragment}`
  if (path === '/static/style.css') return 'static/style.css'
  const key = /^\/k\/([0-9a-fA-F]{40,64})\.asc$/.exec(path)
  if (key) return archiveFiles.key(key[1]!)
  if (path === '/') return archiveFiles.cell()
  const parts = path.split('/')
  if (parts[1] !== 'c' || parts[2] !== map.cell) return null
  const rest = parts.slice(3)
  const [a, b, c, d, e] = rest
  if (rest.length === 0) return archiveFiles.cell() + hash
  if (rest.length === 1 && a === 'line') return archiveFiles.line() + hash
  if (rest.length === 1 && a === 'decisions') return archiveFiles.decisions() + hash
  if (rest.length === 2 && a === 'decisions' && b === 'feed.atom') return archiveFiles.decisionsFeed()
  if (rest.length === 2 && a === 'decisions' && b === 'answers.atom') return archiveFiles.answersFeed()
  if (rest.length === 1 && a === 'key-transitions') return archiveFiles.keyTransitions() + hash
  if (rest.length === 1 && a === 'key.asc') return CELL_KEY
  if (rest.length === 3 && a === 'key-transitions' && /^[0-9]+$/.test(b!) && (c === 'key.asc' || c === 'statement.asc')) return archiveFiles.keyTransitionFile(Number(b), c === 'key.asc' ? 'key' : 'statement')
  if (a === 'questions' && rest.length === 2 && /^[0-9]+$/.test(b!)) return archiveFiles.question(Number(b)) + hash
  if (a === 'questions' && rest.length === 3 && /^[0-9]+$/.test(b!) && c === 'bundle.json') return archiveFiles.bundle(Number(b))
  if (a === undefined || !map.boards.has(a)) return null
  if (rest.length === 1) return archiveFiles.board(a, page) + hash
  if (rest.length === 2 && b === 'feed.atom') return archiveFiles.boardFeed(a)
  if (b !== 't' || !/^[0-9]+$/.test(c ?? '')) return null
  const thread = Number(c)
  if (rest.length === 3) return archiveFiles.thread(a, thread, page) + hash
  if (rest.length === 5 && d === 'p' && /^[0-9]+\.asc$/.test(e!)) return archiveFiles.signedText(a, thread, Number(e!.slice(0, -4)))
  if (rest.length === 5 && d === 'p' && /^[0-9]+$/.test(e!)) {
    const on = postPages.get(postRefKey({ board: a, thread, number: Number(e) }))
    return on === undefined ? null : `${archiveFiles.thread(a, thread, on)}#p${e}`
  }
  return null
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)]
}

/** `to` (an archive file, perhaps with a fragment) as seen from the page at `from`. */
export function relativeLink(from: string, to: string): string {
  const [file, fragment] = splitOnce(to, '#')
  const rel = posix.relative(posix.dirname(from), file)
  return fragment === undefined ? rel : `${rel}#${fragment}`
}

const unescapeAttr = (v: string) => v.replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"')
const escapeAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')

/**
 * The page at `file`, with every absolute address in href, src and action made relative to it:
 * to the archive's copy when it holds one, else to offline.html. Fragments (#p3) stay.
 */
export function relativise(page: string, file: string, map: ArchiveMap, postPages: ReadonlyMap<string, number> = new Map()): string {
  return page.replace(/\b(href|src|action)="(\/[^"]*)"/g, (_all, attr: string, value: string) => {
    const target = archiveFileOf(unescapeAttr(value), map, postPages) ?? OFFLINE
    return `${attr}="${escapeAttr(relativeLink(file, target))}"`
  })
}
