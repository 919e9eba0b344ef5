import { type Kysely, sql } from 'kysely'

// Flood mode (issue 11): each board says whether it is ever in flood ('auto': when its posts per
// minute pass the threshold; 'on': always; 'off': never), and each cell whether keys on its roster
// post freely while one of its boards is in flood (1, the default) or pay like everyone (0).
// How many posts a board got, and whether it is in flood now, is ephemeral and never here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('board').addColumn('flood', 'text', (c) => c.notNull().defaultTo('auto').check(sql`flood in ('auto', 'on', 'off')`)).execute()
  await db.schema.alterTable('cell').addColumn('flood_exempt_roster', 'integer', (c) => c.notNull().defaultTo(1).check(sql`flood_exempt_roster in (0, 1)`)).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cell').dropColumn('flood_exempt_roster').execute()
  await db.schema.alterTable('board').dropColumn('flood').execute()
}
