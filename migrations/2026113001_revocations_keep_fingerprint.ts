import { type Kysely, PostgresAdapter, sql } from 'kysely'

// A revocation here needs only the fingerprint to refuse the key from then on. The full revoked
// key (its user IDs, perhaps a real name) was kept for good even for a key that never signed
// anything here; a key that did sign published content carries its revocation in public_key.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('revoked_key').dropColumn('revoked_armored').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('revoked_key').addColumn('revoked_armored', 'text', (c) => c.notNull().defaultTo('')).execute()
  // As 2026112204 left it: no planner statistics on content.
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`alter table revoked_key alter column revoked_armored set statistics 0`.execute(db)
}

// What a migration drops must also leave the files: src/db/storage.ts migrateAndForget rewrites
// and checkpoints after any migration ran.
