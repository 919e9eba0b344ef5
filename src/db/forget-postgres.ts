import { sql } from 'kysely'
import type { Db } from './connect.ts'

// ---------------------------------------------------------------------------------------------
// PostgreSQL-specific: how PostgreSQL keeps removed content around, and what clears it (measured
// on PostgreSQL 15). A DELETE leaves the dead tuples in the heap and index files, and a plain
// VACUUM only marks the space free; the WAL keeps the original inserts until its segments are
// removed, and recycled segments keep them too. So: rewrite the touched tables (VACUUM FULL, which
// also rebuilds their indexes and TOAST), then switch WAL segments and checkpoint twice so the
// checkpointer deletes the old segments — with `wal_recycle = off`, no WAL archive and no
// replication slots (README, "Several nodes"). Needs a superuser or the pg_checkpoint role.
// ---------------------------------------------------------------------------------------------

/**
 * The tables a removal touches: posts, their references (>>N), their threads, the keys that signed
 * them, revocations, letters, and questions (an adopted answer's copy of what it published).
 */
export const FORGET_TABLES = ['post', 'post_reference', 'thread', 'public_key', 'revoked_key', 'letter', 'question'] as const

/**
 * VACUUM FULL keeps ("recently dead") every deleted row some snapshot might still see, and a
 * snapshot's horizon is the oldest transaction still running anywhere on the server — in any
 * database, including the rewrite's own. Measured: a long transaction in another database kept
 * removed posts alive through the rewrite. So first take a fresh transaction id (after the delete
 * committed) and wait until no backend on the server holds a snapshot or a transaction older.
 */
async function waitForOlderTransactions(db: Db, timeoutMs: number): Promise<number> {
  const mark = await sql<{ x: string }>`select (pg_current_xact_id()::text::bigint % 4294967296)::text as x`.execute(db)
  const x = mark.rows[0]!.x
  const started = Date.now()
  for (let attempts = 1; ; attempts++) {
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from pg_stat_activity
      where pid <> pg_backend_pid()
        and ((backend_xmin is not null and age(backend_xmin) > age(${x}::xid))
          or (backend_xid is not null and age(backend_xid) > age(${x}::xid)))`.execute(db)
    if (Number(rows[0]!.n) === 0) return attempts
    if (Date.now() - started > timeoutMs) throw new Error(`purge: a transaction older than the removal ran for ${timeoutMs} ms; removed rows would survive the rewrite`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export async function rewriteAndCheckpoint(db: Db, tables: readonly string[] = FORGET_TABLES, timeoutMs = 60_000): Promise<{ attempts: number }> {
  const attempts = await waitForOlderTransactions(db, timeoutMs)
  for (const t of tables) await sql`vacuum full ${sql.table(t)}`.execute(db)
  for (let i = 0; i < 2; i++) {
    await sql`select pg_switch_wal()`.execute(db)
    await sql`checkpoint`.execute(db)
  }
  return { attempts }
}

/** Server settings the purge depends on; refused loudly rather than silently ineffective. */
export async function checkForgettingSettings(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string; setting: string }>`select name, setting from pg_settings where name in ('wal_recycle', 'archive_mode')`.execute(db)
  const s = Object.fromEntries(rows.map((r) => [r.name, r.setting]))
  const slots = await sql<{ n: string }>`select count(*) as n from pg_replication_slots`.execute(db)
  const problems: string[] = []
  if (s.wal_recycle !== 'off') problems.push('wal_recycle is on: recycled WAL segments keep removed content (ALTER SYSTEM SET wal_recycle = off)')
  if (s.archive_mode !== 'off') problems.push('archive_mode is on: archived WAL keeps removed content')
  if (Number(slots.rows[0]!.n) > 0) problems.push('replication slots hold WAL (and so removed content) back')
  return problems
}
