import { sql, type RawBuilder } from 'kysely'
import pg from 'pg'
import { MAX_REFERENCES, postReferences } from '../domain/markdown.ts'
import type { Db, Dialect } from './connect.ts'
import { readOn, type ReadRows } from './sqlite-reader.ts'
import type { NewPost } from './schema.ts'

export type PostView = {
  id: number
  number: number
  signing: NewPost['signing']
  body_html: string
  created_at: string
  fingerprint: string
  signed: boolean
}

export async function listPosts(db: Db, threadId: number, limit: number, offset: number): Promise<PostView[]> {
  const rows = await db
    .selectFrom('post')
    .innerJoin('public_key', 'public_key.id', 'post.key_id')
    .select(['post.id', 'post.number', 'post.signing', 'post.body_html', 'post.created_at', 'public_key.fingerprint'])
    .select((eb) => eb('post.signed_text', 'is not', null).as('signed'))
    .where('post.thread_id', '=', threadId)
    .orderBy('post.number')
    .limit(limit)
    .offset(offset)
    .execute()
  // SQLite answers 0/1, PostgreSQL a boolean.
  return rows.map((r) => ({ ...r, signed: Boolean(r.signed) }))
}

/**
 * A page of a thread as one statement reads it: the thread's row, and its posts on the page with
 * their replies. `before`: the number of the last post before the page (0 on page 1), so a run
 * removed across the edge between two pages is said at the top of the later one.
 */
export type ThreadPageRead = { thread: { id: number; number: number; title: string; post_count: number; last_number: number }; before: number; posts: (PostView & { replies: number[] })[] }

/**
 * A thread (by its board and number) and one page of its posts, each with the numbers of the
 * later posts that quote it (post_reference), in one statement: a page built afresh is one round
 * trip to PostgreSQL instead of three (issue 15: a thread page missed by the cache at 1,000,000
 * posts), and one statement run instead of three on SQLite. undefined: no such thread; a page past
 * its last has the thread and no posts. `read`, if given, runs it (Storage.readRows: SQLite's reader
 * thread, PostgreSQL's read pool); else `db`.
 */
export async function readThreadPosts(db: Db, dialect: Dialect, boardId: number, number: number, limit: number, offset: number, read: ReadRows | null = null): Promise<ThreadPageRead | undefined> {
  // A page past the thread's last reads no post (post_count > offset), so asking for page
  // 999999999 costs no walk through a long thread (its offset, past any integer, is compared as a
  // bigint on PostgreSQL); replies are looked up for the page's posts only, outside the LIMIT
  // (PostgreSQL computes an inner select list for the rows OFFSET skips). A page after the first
  // also reads the post just before it (`lead`), in the same walk: its number is where a run of
  // removed posts across the page's edge began, said at the top of this page.
  const lead = offset > 0 ? 1 : 0
  const page = (threadId: RawBuilder<unknown>) => sql`
    select post.id, post.number, post.signing, post.body_html, post.created_at, public_key.fingerprint,
      post.signed_text is not null as signed
    from post inner join public_key on public_key.id = post.key_id
    where post.thread_id = ${threadId}
    order by post.number limit ${limit + lead} offset ${offset - lead}`
  // Which posts quote page post p, as a list of their numbers ("7,12"); repliesOf orders them.
  const agg = dialect === 'postgres' ? sql`string_agg(q.number::text, ',')` : sql`group_concat(q.number)`
  const replies = sql`(select ${agg} from post_reference r inner join post q on q.id = r.post_id where r.quoted_post_id = p.id)`
  /** The page's posts and the number before them (0 on page 1, and on a page past the end). */
  const split = (posts: ThreadPageRead['posts']) => (lead && posts.length > 0 ? { before: posts[0]!.number, posts: posts.slice(1) } : { before: 0, posts })
  if (dialect === 'postgres') {
    // One row, the page's posts one JSON array of arrays: node-postgres parses it with one
    // JSON.parse, where a row a post went through its JavaScript parser field by field (a string
    // made and a type parser called for each of a page's ~600 fields). At 1,000,000 posts, every
    // request a miss, that was about a sixth of the node's CPU a thread page: 12–17 % more thread
    // pages a second with this, for ~50 µs more in PostgreSQL (BENCHMARKS.md).
    const query = sql<ThreadColumns & { posts: PostTuple[] | null }>`
      select t.id as thread_id, t.number as thread_number, t.title, t.post_count, t.last_number,
        (select json_agg(json_build_array(p.id, p.number, p.signing, p.body_html, p.created_at, p.fingerprint, p.signed, ${replies}) order by p.number)
          from (${page(sql`(case when t.post_count > ${offset}::bigint then t.id end)`)}) p) as posts
      from thread t
      where t.board_id = ${boardId} and t.number = ${number}`.compile(db)
    const [row] = await readOn(db, read, query)
    if (!row) return undefined
    return {
      thread: threadOf(row),
      ...split((row.posts ?? []).map(([id, number, signing, body_html, created_at, fingerprint, signed, replies]) => ({ id, number, signing, body_html, created_at, fingerprint, signed, replies: repliesOf(replies) }))),
    }
  }
  const query = sql<ThreadColumns & Omit<PostView, 'id' | 'signed'> & { id: number | null; signed: number; replies: string | null }>`
    select t.id as thread_id, t.number as thread_number, t.title, t.post_count, t.last_number,
      p.id, p.number, p.signing, p.body_html, p.created_at, p.fingerprint, p.signed, ${replies} as replies
    from thread t
    left join (${page(sql`(select id from thread where board_id = ${boardId} and number = ${number} and post_count > ${offset})`)}) p on true
    where t.board_id = ${boardId} and t.number = ${number}
    order by p.number`.compile(db)
  const rows = await readOn(db, read, query)
  if (!rows[0]) return undefined
  return {
    thread: threadOf(rows[0]),
    // SQLite answers 0/1 for a boolean.
    ...split(rows.filter((r) => r.id !== null).map((r) => ({ id: r.id!, number: r.number, signing: r.signing, body_html: r.body_html, created_at: r.created_at, fingerprint: r.fingerprint, signed: Boolean(r.signed), replies: repliesOf(r.replies) }))),
  }
}

type ThreadColumns = { thread_id: number; thread_number: number; title: string; post_count: number | string; last_number: number | string }
const threadOf = (r: ThreadColumns): ThreadPageRead['thread'] => ({ id: r.thread_id, number: r.thread_number, title: r.title, post_count: Number(r.post_count), last_number: Number(r.last_number) })
/** "7,12" (or null: none) as the numbers in order. */
const repliesOf = (list: string | null): number[] => (list === null ? [] : list.split(',').map(Number).sort((a, b) => a - b))
/** A page's post as PostgreSQL's JSON gives it, its replies still a list ("7,12") or null. */
type PostTuple = [id: number, number: number, signing: NewPost['signing'], body_html: string, created_at: string, fingerprint: string, signed: boolean, replies: string | null]

/**
 * Append a post to a thread: its number is the thread's next, and the thread's activity
 * marker moves to it. Call inside a write transaction. body_html may be a function of the post's
 * number, called once the thread's row is taken (so it sees every post numbered before this one).
 */
export async function appendPost(db: Db, p: Omit<NewPost, 'number' | 'body_html'> & { body_html: string | ((number: number) => Promise<string>) }): Promise<Appended> {
  const thread = await db
    .updateTable('thread')
    .set({ post_count: sql`post_count + 1`, last_number: sql`last_number + 1`, last_post_at: p.created_at })
    .where('id', '=', p.thread_id)
    .returning(['last_number', 'post_count'])
    .executeTakeFirstOrThrow()
  const body_html = typeof p.body_html === 'string' ? p.body_html : await p.body_html(thread.last_number)
  const row = await db.insertInto('post').values({ ...p, body_html, number: thread.last_number }).returning(['id', 'number']).executeTakeFirstOrThrow()
  await db.updateTable('thread').set({ last_post_id: row.id }).where('id', '=', p.thread_id).execute()
  return { ...row, postCount: Number(thread.post_count) }
}

/**
 * A post appended: its row id, its number, and how many posts its thread holds with it. While the
 * thread's row is taken every other post of the thread is numbered below it, so the posts before
 * it (which page it is on) are postCount - 1.
 */
export type Appended = { id: number; number: number; postCount: number }

/** A reply as PostgreSQL writes it at once: its key by fingerprint (no row yet: undefined back). */
export type Reply = Omit<NewPost, 'number' | 'key_id' | 'thread_id'> & { fingerprint: string }
type Notice = { channel: string; payload: string } | null

/**
 * PostgreSQL only: replies to one thread, one or several, in one statement (migration 2026121001,
 * append_replies): the thread's row taken once, each post numbered and given its id in order, one
 * commit, and `notice` (a pg_notify channel and payload) sent when it commits, if anything was
 * written. Its answers are in the order given, undefined for a reply whose key has no row (or all
 * of them: the thread is gone); nothing of such a reply is written, and its caller takes the
 * transaction path, which inserts the key. A reply alone goes this way too, rather than as the
 * three-step CTE it had of its own (update, insert, select; a named statement, parsed once per
 * connection like this one): six interleaved pairs of the posting bench gave 1.00–1.18× the posts
 * a second (median 1.09), the node's CPU a post lower in five of them. Measured, not explained:
 * PostgreSQL's CPU a post moved by less than the noise.
 */
export async function appendRepliesAtOnce(db: Db, threadId: number, replies: Reply[], notice: Notice): Promise<(Appended | undefined)[]> {
  const column = <K extends keyof Reply>(k: K) => replies.map((r) => r[k] ?? null)
  const r = await sql<{ ord: number; id: number; number: number; post_count: number }>`
    select r.ord, r.id, r.number, r.post_count${notice ? sql`, pg_notify(${notice.channel}, ${notice.payload}) as notified` : sql``}
    from append_replies(${threadId}, ${column('fingerprint')}::text[], ${column('signing')}::text[], ${column('body_source')}::text[],
      ${column('signed_text')}::text[], ${column('created_at')}::text[], ${column('body_html')}::text[]) r`.execute(db)
  const out: (Appended | undefined)[] = replies.map(() => undefined)
  for (const row of r.rows) out[row.ord - 1] = { id: row.id, number: row.number, postCount: Number(row.post_count) }
  return out
}

// A batch is bounded in replies and in characters, so a statement stays about a megabyte however
// long the bodies are (a body of 20,000 characters is several times that as HTML and source).
const MAX_BATCH = 64
const MAX_BATCH_CHARS = 1 << 20
const charsOf = (r: Reply) => r.body_source.length + r.body_html.length + (r.signed_text?.length ?? 0)

/**
 * A node's replies on PostgreSQL, one write in flight per thread. Ten posters replying to one
 * thread at once, each in a statement of its own, wait for the thread's row inside PostgreSQL,
 * and that waiting cost more than the writing (pgbench, a one-reply statement on one
 * thread: 1,735 a second at 528 CPU-µs of the machine each from one client, 1,278 at 1,123 from
 * ten, pgbench included). Here the replies that arrive while a thread's write is in flight wait
 * in the node instead, and go together in the next one (append_replies: five at once, 174 CPU-µs
 * a post). One reply alone is one statement too, the same function's. Every reply is acknowledged
 * only once its commit has returned.
 *
 * A batch that PostgreSQL refused (an ERROR: the statement was rolled back, nothing of it stored)
 * is written again one by one, so a reply that cannot be written fails alone. Any other failure (the
 * connection lost, perhaps after the commit) fails every reply of the batch, as it would fail one:
 * writing them again could store them twice.
 */
export function replyWriter(db: Db): (threadId: number, reply: Reply, notice: Notice) => Promise<Appended | undefined> {
  type Waiting = { reply: Reply; notice: Notice; resolve: (a: Appended | undefined) => void; reject: (e: unknown) => void }
  // The threads with a write in flight, and the replies waiting for it to return.
  const waiting = new Map<number, Waiting[]>()

  const alone = (threadId: number, w: Waiting) => appendRepliesAtOnce(db, threadId, [w.reply], w.notice).then(([a]) => w.resolve(a), w.reject)
  async function write(threadId: number, batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return alone(threadId, batch[0]!)
    let written: (Appended | undefined)[]
    try {
      // One thread, so one notice: the same tags for every reply in the batch.
      written = await appendRepliesAtOnce(db, threadId, batch.map((w) => w.reply), batch[0]!.notice)
    } catch (e) {
      if (e instanceof pg.DatabaseError && e.severity === 'ERROR') for (const w of batch) await alone(threadId, w)
      else for (const w of batch) w.reject(e)
      return
    }
    batch.forEach((w, i) => w.resolve(written[i]))
  }
  /** The next batch: the replies waiting, in order, up to the bounds (one at least). */
  function next(queue: Waiting[]): Waiting[] {
    let n = 0
    for (let chars = 0; n < queue.length && n < MAX_BATCH; n++) {
      chars += charsOf(queue[n]!.reply)
      if (n > 0 && chars > MAX_BATCH_CHARS) break
    }
    return queue.splice(0, n)
  }

  return (threadId, reply, notice) =>
    new Promise((resolve, reject) => {
      const w: Waiting = { reply, notice, resolve, reject }
      const queue = waiting.get(threadId)
      if (queue) return void queue.push(w)
      const mine: Waiting[] = []
      waiting.set(threadId, mine)
      void (async () => {
        // write settles every reply it is given; should it ever throw, they are failed here, and
        // the loop goes on until nothing waits (then no reply can be left behind in `mine`).
        for (let batch = [w]; batch.length > 0; batch = next(mine)) await write(threadId, batch).catch((e: unknown) => batch.forEach((b) => b.reject(e)))
        waiting.delete(threadId)
      })()
    })
}

/** A post's signed text, found by board, thread number and number (so an address cannot cross boards). */
export function findSignedText(db: Db, place: PostPlace) {
  return db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .select(['post.signed_text', 'post.signing', 'post.thread_id'])
    .where('thread.board_id', '=', place.boardId)
    .where('thread.number', '=', place.thread)
    .where('post.number', '=', place.number)
    .executeTakeFirst()
}

export async function countPostsBefore(db: Db, threadId: number, number: number): Promise<number> {
  const row = await db
    .selectFrom('post')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('thread_id', '=', threadId)
    .where('number', '<', number)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Where a post is: its board, its thread's number on that board, its number in the thread. */
export type PostPlace = { boardId: number; thread: number; number: number }

/** A post by its place (numbers are never reused, so a place names one post for good). */
export function findPostAt(db: Db, place: PostPlace) {
  return db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .select(['post.id', 'post.key_id', 'post.thread_id', 'post.body_html'])
    .where('thread.board_id', '=', place.boardId)
    .where('thread.number', '=', place.thread)
    .where('post.number', '=', place.number)
    .executeTakeFirst()
}

/**
 * Hard-delete one post and keep its thread's counters true: the activity marker moves to the
 * latest post left. A thread left with no posts is deleted too. Call inside a write transaction.
 * Returns whether the thread went with it.
 */
export async function deletePost(db: Db, post: { id: number; thread_id: number }): Promise<{ threadDeleted: boolean; number: number | null }> {
  const removed = await db.deleteFrom('post').where('id', '=', post.id).returning('number').executeTakeFirst()
  const latest = await db.selectFrom('post').select(['id', 'created_at']).where('thread_id', '=', post.thread_id).orderBy('id', 'desc').limit(1).executeTakeFirst()
  if (!latest) {
    await db.deleteFrom('thread').where('id', '=', post.thread_id).execute()
    return { threadDeleted: true, number: removed?.number ?? null }
  }
  await db
    .updateTable('thread')
    .set((eb) => ({ post_count: eb('post_count', '-', 1), last_post_id: latest.id, last_post_at: latest.created_at }))
    .where('id', '=', post.thread_id)
    .execute()
  return { threadDeleted: false, number: removed?.number ?? null }
}

export type RecentPost = { number: number; thread: number; title: string; body_html: string; created_at: string; fingerprint: string }

/**
 * A board's latest posts, newest first (order from ids), with their threads' numbers and titles:
 * for its feed. They lie in its `limit` most recently active threads, which the thread index
 * finds at once, so a long board is not scanned.
 */
export function recentPostsOnBoard(db: Db, boardId: number, limit: number): Promise<RecentPost[]> {
  const active = db.selectFrom('thread').select('id').where('board_id', '=', boardId).orderBy('last_post_id', 'desc').limit(limit)
  return db
    .selectFrom('post')
    .innerJoin('thread', 'thread.id', 'post.thread_id')
    .innerJoin('public_key', 'public_key.id', 'post.key_id')
    .select(['post.number', 'thread.number as thread', 'thread.title', 'post.body_html', 'post.created_at', 'public_key.fingerprint'])
    .where('post.thread_id', 'in', active)
    .orderBy('post.id', 'desc')
    .limit(limit)
    .execute()
}

/** Which of these numbers are posts of the thread (a >>N to any other is text), with their row ids. */
export function findPostNumbers(db: Db, threadId: number, numbers: readonly number[]): Promise<{ id: number; number: number }[]> {
  if (numbers.length === 0) return Promise.resolve([])
  return db.selectFrom('post').select(['id', 'number']).where('thread_id', '=', threadId).where('number', 'in', [...numbers]).execute()
}

/**
 * The posts of its thread that a text quotes (>>N) and that exist, only those numbered below
 * `before` when given (a post links only earlier ones). Past MAX_REFERENCES none are looked up:
 * rendering refuses such a text anyway.
 */
export function findQuotedPosts(db: Db, threadId: number, body: string, before = Infinity): Promise<{ id: number; number: number }[]> {
  const refs = postReferences(body)
  return refs.length > MAX_REFERENCES ? Promise.resolve([]) : findPostNumbers(db, threadId, refs.filter((n) => n < before))
}

/** Record that a post quotes these posts of its thread (>>N). Call inside the post's transaction. */
export async function insertReferences(db: Db, postId: number, quotedIds: readonly number[]): Promise<void> {
  if (quotedIds.length === 0) return
  await db.insertInto('post_reference').values(quotedIds.map((q) => ({ post_id: postId, quoted_post_id: q }))).execute()
}

/** The posts that quote a post, with their text as written (to render again without the link). */
export function findQuotingPosts(db: Db, postId: number) {
  return db
    .selectFrom('post_reference')
    .innerJoin('post', 'post.id', 'post_reference.post_id')
    .select(['post.id', 'post.thread_id', 'post.number', 'post.body_source'])
    .where('post_reference.quoted_post_id', '=', postId)
    .execute()
}

/** Every post of a thread with its text as written, in number order (to read its references again). */
export function listPostSources(db: Db, threadId: number) {
  return db.selectFrom('post').select(['id', 'number', 'body_source']).where('thread_id', '=', threadId).orderBy('number').execute()
}

/** A thread's address parts (cell and board slugs, its number), for links rendered into posts. */
export function findThreadPlace(db: Db, threadId: number) {
  return db
    .selectFrom('thread')
    .innerJoin('board', 'board.id', 'thread.board_id')
    .innerJoin('cell', 'cell.id', 'board.cell_id')
    .select(['cell.slug as cell', 'board.slug as board', 'thread.number'])
    .where('thread.id', '=', threadId)
    .executeTakeFirstOrThrow()
}

export async function setPostHtml(db: Db, postId: number, bodyHtml: string): Promise<void> {
  await db.updateTable('post').set({ body_html: bodyHtml }).where('id', '=', postId).execute()
}
