import { Hono } from 'hono'
import type { Deps } from '../services/deps.ts'
import { readAnswerFeed, readBoardFeed, readDecisionFeed } from '../services/feeds.ts'
import { cacheKey, cacheTag } from '../services/page-cache.ts'
import { openBoard } from '../services/reading.ts'
import { atomFeed } from '../../views/feeds.ts'
import type { AppEnv } from './env.ts'
import { acceptsGzip, gzipNow, gzipOnce } from './compression.ts'
import { encode, type C } from './render.ts'

const ATOM = { 'Content-Type': 'application/atom+xml; charset=utf-8', Vary: 'Accept-Encoding' }
const ATOM_GZIP = { ...ATOM, 'Content-Encoding': 'gzip' }
type Bytes = Uint8Array<ArrayBuffer>

export function feedRoutes(deps: Deps) {
  // A feed holds no form token and nothing of the session (http/compression.ts on BREACH): it is
  // sent gzipped to a reader who takes it; a board's, kept, was gzipped once when it was built.
  // The decisions' and answers' feeds are built per viewer: for a member they hold what only a
  // tier may read beside what others wrote, so with a session they go out as they are (BREACH).
  const send = (c: C, part: { bytes: Uint8Array; gzip?: Uint8Array }) =>
    acceptsGzip(c.req.header('accept-encoding')) && (part.gzip !== undefined || !c.get('session'))
      ? c.body((part.gzip ?? gzipNow(part.bytes)) as Bytes, 200, ATOM_GZIP)
      : c.body(part.bytes as Bytes, 200, ATOM)
  const fresh = (xml: string) => ({ bytes: encode(xml) })

  return (
    new Hono<AppEnv>()
      // The decisions and the published answers show each viewer what the decision log does
      // (withheld for boards they may not read), so they are built per request.
      .get('/c/:cell/decisions/feed.atom', async (c) => send(c, fresh(atomFeed(deps.config.publicUrl, await readDecisionFeed(deps, c.req.param('cell'), c.get('session'))))))
      .get('/c/:cell/decisions/answers.atom', async (c) => send(c, fresh(atomFeed(deps.config.publicUrl, await readAnswerFeed(deps, c.req.param('cell'), c.get('session'))))))
      // A board's feed is the same for everyone who may read it: openBoard decides that first (a
      // refused reader gets the board page's refusal), then the bytes are kept until a write to the
      // board (or a removal, which drops every kept page) makes them stale.
      .get('/c/:cell/:board/feed.atom', async (c) => {
        const at = await openBoard(deps, c.req.param('cell'), c.req.param('board'), c.get('session'))
        const key = cacheKey.boardFeed(at.board.id)
        // The request's epoch: the feed's title is the board's as openBoard read it, before this.
        const since = c.get('cacheSince')
        let part = deps.cache.get<null>(key)
        if (!part) {
          const bytes = encode(atomFeed(deps.config.publicUrl, await readBoardFeed(deps, at)))
          part = { meta: null, bytes, gzip: gzipOnce(bytes), tags: [cacheTag.board(at.board.id), cacheTag.listing(at.board.id)] }
          deps.cache.set(key, part, since)
        }
        return send(c, part)
      })
  )
}
