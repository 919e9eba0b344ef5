import { type Kysely, sql } from 'kysely'

// Whether a board asks search engines to index it (issue 14): 1 puts it in robots.txt as allowed
// and leaves its pages without a noindex; 0, the default, asks for neither. Privacy first: a board
// is indexed only once its operator says so, and only while anyone may read it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('board').addColumn('indexable', 'integer', (c) => c.notNull().defaultTo(0).check(sql`indexable in (0, 1)`)).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('board').dropColumn('indexable').execute()
}
