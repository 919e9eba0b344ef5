import { type Kysely, sql } from 'kysely'

// Need-to-know tiers (issue 12). A cell names its own ordered tiers, lowest first (default
// "member,voter", today's two roles); a roster entry holds one of them; a board states the least
// tier that reads it and the least that posts (empty: anyone, as a public board was); the cell
// states the least tier that votes and the least that reads its inbox (both "voter", as before).
// Existing rows keep their meaning: role becomes tier, a members board is read and posted to from
// "member" up, a public one by anyone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cell').addColumn('tiers', 'text', (c) => c.notNull().defaultTo('member,voter')).execute()
  await db.schema.alterTable('cell').addColumn('vote_tier', 'text', (c) => c.notNull().defaultTo('voter')).execute()
  await db.schema.alterTable('cell').addColumn('inbox_tier', 'text', (c) => c.notNull().defaultTo('voter')).execute()

  await db.schema.alterTable('board').addColumn('read_tier', 'text').execute()
  await db.schema.alterTable('board').addColumn('post_tier', 'text').execute()
  await db.updateTable('board').set({ read_tier: 'member', post_tier: 'member' }).where('visibility', '=', 'members').execute()
  await db.schema.alterTable('board').dropColumn('visibility').execute()

  // The role column's check names the two old roles: a new column without it takes their place.
  await db.schema.alterTable('roster_entry').addColumn('tier', 'text', (c) => c.notNull().defaultTo('member')).execute()
  await db.updateTable('roster_entry').set({ tier: sql.ref('role') }).execute()
  await db.schema.alterTable('roster_entry').dropColumn('role').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  // Only today's two tiers map back: a cell with others is refused rather than misread.
  const others = await db.selectFrom('cell').select('slug').where('tiers', '<>', 'member,voter').execute()
  if (others.length > 0) throw new Error(`cells ${others.map((c) => c.slug).join(', ')} have their own tiers; set them back to member,voter first`)
  await db.schema.alterTable('roster_entry').addColumn('role', 'text', (c) => c.notNull().defaultTo('member').check(sql`role in ('member', 'voter')`)).execute()
  await db.updateTable('roster_entry').set({ role: sql.ref('tier') }).execute()
  await db.schema.alterTable('roster_entry').dropColumn('tier').execute()

  await db.schema.alterTable('board').addColumn('visibility', 'text', (c) => c.notNull().defaultTo('public').check(sql`visibility in ('public', 'members')`)).execute()
  await db.updateTable('board').set({ visibility: 'members' }).where('read_tier', 'is not', null).execute()
  await db.schema.alterTable('board').dropColumn('read_tier').execute()
  await db.schema.alterTable('board').dropColumn('post_tier').execute()

  for (const c of ['inbox_tier', 'vote_tier', 'tiers']) await db.schema.alterTable('cell').dropColumn(c).execute()
}
