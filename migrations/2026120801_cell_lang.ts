import type { Kysely } from 'kysely'

// A cell's language (issue 14): its pages, feeds and archive are in it unless a reader chooses
// another. Set by the operator (`cell create … --lang`, `cell lang`); English for every cell so far.
// Which codes are spoken is the code's business (src/i18n), not a check here: a language added
// later needs no migration.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cell').addColumn('lang', 'text', (c) => c.notNull().defaultTo('en')).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cell').dropColumn('lang').execute()
}
