import { type Kysely, sql } from 'kysely'

// Backlinks (issue 14): which earlier post of its thread each post quotes with >>N, written with
// the post (so the cached thread page lists a post's replies without parsing anything when read)
// and gone with either post (cascade), so a removal or the purge leaves no row naming a post.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('post_reference')
    .addColumn('post_id', 'integer', (c) => c.notNull().references('post.id').onDelete('cascade'))
    .addColumn('quoted_post_id', 'integer', (c) => c.notNull().references('post.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('post_reference_pk', ['post_id', 'quoted_post_id'])
    .addCheckConstraint('post_reference_not_itself', sql`post_id <> quoted_post_id`)
    .execute()
  await db.schema.createIndex('post_reference_quoted').on('post_reference').column('quoted_post_id').execute()

  // Posts written before: their references, read from their text as it was written. Migrations do
  // not import the app's Markdown, so this reads >>N by pattern (as the app's reference limit
  // does); a >>N inside a code span is counted here, which at worst lists one reply too many.
  const REF = /(?<![0-9>])>>([1-9][0-9]{0,6})(?![0-9])/g
  for (let after = 0; ;) {
    const posts: { id: number; thread_id: number; number: number; body_source: string }[] = await db
      .selectFrom('post').select(['id', 'thread_id', 'number', 'body_source']).where('id', '>', after).orderBy('id').limit(500).execute()
    if (posts.length === 0) break
    after = posts.at(-1)!.id
    for (const p of posts) {
      const numbers = [...new Set([...p.body_source.matchAll(REF)].map((m) => Number(m[1])))].filter((n) => n < p.number)
      if (numbers.length === 0) continue
      const quoted: { id: number }[] = await db.selectFrom('post').select('id').where('thread_id', '=', p.thread_id).where('number', 'in', numbers).execute()
      if (quoted.length > 0) await db.insertInto('post_reference').values(quoted.map((q) => ({ post_id: p.id, quoted_post_id: q.id }))).execute()
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('post_reference').execute()
}
