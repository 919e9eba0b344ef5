import type { Db } from './connect.ts'

export async function isRevoked(db: Db, fingerprint: string): Promise<boolean> {
  return (await db.selectFrom('revoked_key').select('id').where('fingerprint', '=', fingerprint).executeTakeFirst()) !== undefined
}

/** Record a revocation; a published copy of the key takes the revoked form too, for verifiers. */
export async function recordRevocation(db: Db, r: { fingerprint: string; revokedArmored: string; createdAt: string }): Promise<void> {
  await db
    .insertInto('revoked_key')
    .values({ fingerprint: r.fingerprint, revoked_armored: r.revokedArmored, created_at: r.createdAt })
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .execute()
  await db.updateTable('public_key').set({ armored: r.revokedArmored }).where('fingerprint', '=', r.fingerprint).execute()
}
