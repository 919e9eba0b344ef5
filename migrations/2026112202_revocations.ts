import type { Kysely } from 'kysely'
import { withId } from './portable.ts'

// Keys revoked here by a revocation certificate: they can no longer log in or sign.
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('revoked_key'))
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('revoked_armored', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('revoked_key').execute()
}
