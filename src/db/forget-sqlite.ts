import { sql } from 'kysely'
import type { Db } from './connect.ts'

// ---------------------------------------------------------------------------------------------
// SQLite-specific: the one place that knows how SQLite keeps removed content around.
// With secure_delete ON (set on every connection, src/db/connect.ts) deleted cells and freed pages
// are zeroed — but in WAL mode the change reaches the main file only at a checkpoint, and old
// page images stay in the -wal file until it is truncated. PostgreSQL's counterpart is
// forget-postgres.ts; storage.ts picks one per dialect.
// ---------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Checkpoint the WAL into the main file and truncate it, retrying while another connection's read
 * transaction holds it (SQLite answers "busy" and keeps the content until the reader is done).
 * Only when this returns is removed content gone from the files. With synchronous=FULL the
 * checkpoint is synced, so a crash afterwards cannot bring it back.
 */
export async function checkpointTruncate(db: Db, timeoutMs = 60_000): Promise<{ attempts: number }> {
  const started = Date.now()
  let delay = 5
  for (let attempts = 1; ; attempts++) {
    const { rows } = await sql<{ busy: number; log: number; checkpointed: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db)
    if (rows[0]?.busy === 0) return { attempts }
    if (Date.now() - started > timeoutMs) throw new Error(`purge: the WAL could not be checkpointed for ${timeoutMs} ms; a reader is holding it`)
    await sleep(delay)
    delay = Math.min(delay * 2, 250)
  }
}

/** A number that changes when another connection (the CLI, a purge run) commits a write. */
export async function dataVersion(db: Db): Promise<number> {
  const { rows } = await sql<{ data_version: number }>`pragma data_version`.execute(db)
  return rows[0]!.data_version
}
