import type { Kysely } from 'kysely'

// A revocation here needs only the fingerprint to refuse the key from then on. The full revoked
// key (its user IDs, perhaps a real name) was kept for good even for a key that never signed
// anything here; a key that did sign published content carries its revocation in public_key.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('revoked_key').dropColumn('revoked_armored').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('revoked_key').addColumn('revoked_armored', 'text', (c) => c.notNull().defaultTo('')).execute()
}
