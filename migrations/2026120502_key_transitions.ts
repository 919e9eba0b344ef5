import { type Kysely, sql } from 'kysely'
import { withId } from './portable.ts'

// Rotating a cell key (issue 12): every earlier key, with the statement its holder clearsigned to
// name the next one, so a writer can check the chain with gpg --verify; and, on the cell, since
// when its key ought to be rotated (a roster key was removed while the cell had a key).
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('cell_key_transition'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    // Its address in the cell (/c/CELL/key-transitions/N/…): row ids count every cell's transitions.
    .addColumn('number', 'integer', (c) => c.notNull().check(sql`number >= 1`))
    .addColumn('old_fingerprint', 'text', (c) => c.notNull())
    .addColumn('new_fingerprint', 'text', (c) => c.notNull())
    .addColumn('old_armored', 'text', (c) => c.notNull())
    .addColumn('statement', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('cell_key_transition_number', ['cell_id', 'number'])
    .addCheckConstraint('cell_key_transition_changes_key', sql`old_fingerprint <> new_fingerprint`)
    .execute()
  await db.schema.alterTable('cell').addColumn('key_rotation_due', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cell').dropColumn('key_rotation_due').execute()
  await db.schema.dropTable('cell_key_transition').execute()
}
