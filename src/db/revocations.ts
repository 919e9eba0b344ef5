import type { Db } from './connect.ts'

export async function isRevoked(db: Db, fingerprint: string): Promise<boolean> {
  return (await db.selectFrom('revoked_key').select('id').where('fingerprint', '=', fingerprint).executeTakeFirst()) !== undefined
}

/**
 * Record a revocation: the fingerprint alone refuses the key from now on. A published copy of the
 * key (it signed something here) takes the revoked form, for verifiers; nothing else of it is kept.
 */
export async function recordRevocation(db: Db, r: { fingerprint: string; revokedArmored: string; createdAt: string }): Promise<void> {
  await db
    .insertInto('revoked_key')
    .values({ fingerprint: r.fingerprint, created_at: r.createdAt })
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .execute()
  await db.updateTable('public_key').set({ armored: r.revokedArmored }).where('fingerprint', '=', r.fingerprint).execute()
}
