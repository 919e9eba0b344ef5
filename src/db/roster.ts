import { parseTiers, tiersFrom } from '../domain/tiers.ts'
import type { Db } from './connect.ts'

export function listRoster(db: Db, cellId: number) {
  return db
    .selectFrom('roster_entry')
    .innerJoin('public_key', 'public_key.id', 'roster_entry.key_id')
    .select(['public_key.fingerprint', 'roster_entry.tier', 'roster_entry.created_at'])
    .where('roster_entry.cell_id', '=', cellId)
    .orderBy('roster_entry.id')
    .execute()
}

/** Whether a key holds a role on any cell's roster (only a decision, or the operator, puts it there). */
export async function onAnyRoster(db: Db, fingerprint: string): Promise<boolean> {
  const row = await db
    .selectFrom('roster_entry')
    .innerJoin('public_key', 'public_key.id', 'roster_entry.key_id')
    .select('roster_entry.id')
    .where('public_key.fingerprint', '=', fingerprint)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** A key's tier in the cell, or null when it is not on the roster. */
export async function tierOf(db: Db, cellId: number, fingerprint: string): Promise<string | null> {
  const row = await db
    .selectFrom('roster_entry')
    .innerJoin('public_key', 'public_key.id', 'roster_entry.key_id')
    .select('roster_entry.tier')
    .where('roster_entry.cell_id', '=', cellId)
    .where('public_key.fingerprint', '=', fingerprint)
    .executeTakeFirst()
  return row?.tier ?? null
}

export async function putRosterEntry(db: Db, e: { cellId: number; keyId: number; tier: string; createdAt: string }): Promise<void> {
  await db
    .insertInto('roster_entry')
    .values({ cell_id: e.cellId, key_id: e.keyId, tier: e.tier, created_at: e.createdAt })
    .onConflict((oc) => oc.columns(['cell_id', 'key_id']).doUpdateSet({ tier: e.tier, created_at: e.createdAt }))
    .execute()
}

/** The key ids of the cell's voters now: its keys at its vote tier or above. */
export async function voterKeyIds(db: Db, cell: { id: number; tiers: string; vote_tier: string }): Promise<number[]> {
  const rows = await db
    .selectFrom('roster_entry')
    .select('key_id')
    .where('cell_id', '=', cell.id)
    .where('tier', 'in', tiersFrom(parseTiers(cell.tiers), cell.vote_tier))
    .orderBy('key_id')
    .execute()
  return rows.map((r) => r.key_id)
}

/** How many keys of the cell hold each tier (a cell's tiers may change only where none is held). */
export async function tiersHeld(db: Db, cellId: number): Promise<string[]> {
  const rows = await db.selectFrom('roster_entry').select('tier').distinct().where('cell_id', '=', cellId).execute()
  return rows.map((r) => r.tier)
}

export async function removeRosterEntry(db: Db, cellId: number, fingerprint: string): Promise<number> {
  const key = await db.selectFrom('public_key').select('id').where('fingerprint', '=', fingerprint).executeTakeFirst()
  if (!key) return 0
  return Number((await db.deleteFrom('roster_entry').where('cell_id', '=', cellId).where('key_id', '=', key.id).executeTakeFirst()).numDeletedRows)
}

/** A key's tier in the cell with the cell's tiers, in one query (every access check asks this). */
export async function standingOf(db: Db, cellId: number, fingerprint: string): Promise<{ tier: string; tiers: string } | null> {
  const row = await db
    .selectFrom('roster_entry')
    .innerJoin('public_key', 'public_key.id', 'roster_entry.key_id')
    .innerJoin('cell', 'cell.id', 'roster_entry.cell_id')
    .select(['roster_entry.tier', 'cell.tiers'])
    .where('roster_entry.cell_id', '=', cellId)
    .where('public_key.fingerprint', '=', fingerprint)
    .executeTakeFirst()
  return row ?? null
}
