import { type Kysely, sql } from 'kysely'
import { withId } from './portable.ts'

// Letters to a cell (issue 12): the cell's public key, set by the operator, and the letters
// written to it, stored only as ciphertext to that key until handled or past the cell's retention.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cell').addColumn('key_fingerprint', 'text').execute()
  await db.schema.alterTable('cell').addColumn('key_armored', 'text').execute()
  await db.schema.alterTable('cell').addColumn('letter_retention_days', 'integer', (c) => c.notNull().defaultTo(30).check(sqlCheck('letter_retention_days'))).execute()
  await withId(db, db.schema.createTable('letter'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('letter_cell').on('letter').columns(['cell_id', 'id']).execute()
}

const sqlCheck = (col: string) => sql.raw(`${col} between 1 and 36500`)

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('letter').execute()
  await db.schema.alterTable('cell').dropColumn('letter_retention_days').execute()
  await db.schema.alterTable('cell').dropColumn('key_armored').execute()
  await db.schema.alterTable('cell').dropColumn('key_fingerprint').execute()
}
