import type { Kysely } from 'kysely'

// The decision log is public, and an operator's removal on a members-only board was logged with
// the thread's and the post's numbers ("removed post 3 of thread 12 on the board "inner""), which
// tell outsiders how many threads and posts the members wrote. Such lines now name the board only,
// as new removals there are logged. Public boards' lines stay as they are. There is no way back:
// down leaves the lines as they are.
const POST = /^removed post [0-9]+ of thread [0-9]+ on the board "(.+)"$/
const THREAD = /^removed thread [0-9]+ on the board "(.+)", with its posts$/

export async function up(db: Kysely<any>): Promise<void> {
  const members = await db.selectFrom('board').select(['cell_id', 'slug']).where('visibility', '=', 'members').execute()
  const isMembers = (cellId: number, slug: string) => members.some((b) => b.cell_id === cellId && b.slug === slug)
  for (const a of await db.selectFrom('operator_action').select(['id', 'cell_id', 'action']).where('action', 'like', 'removed %').execute()) {
    const post = POST.exec(a.action)
    const thread = THREAD.exec(a.action)
    const action = post && isMembers(a.cell_id, post[1]!)
      ? `removed a post on the members-only board "${post[1]}"`
      : thread && isMembers(a.cell_id, thread[1]!)
        ? `removed a thread on the members-only board "${thread[1]}", with its posts`
        : null
    if (action) await db.updateTable('operator_action').set({ action }).where('id', '=', a.id).execute()
  }
}

export async function down(): Promise<void> {}
