import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Every file SQLite may keep content in, beside the database. */
export const DB_FILES = ['cellboard.db', 'cellboard.db-wal', 'cellboard.db-shm', 'cellboard.db-journal']

/** Where each marker occurs in the raw bytes of the database files (and any extra texts given). */
export function findMarkers(dataDir: string, markers: string[], extra: Record<string, string> = {}): Record<string, string[]> {
  const sources: [string, Buffer][] = DB_FILES.filter((f) => existsSync(join(dataDir, f))).map((f) => [f, readFileSync(join(dataDir, f))])
  for (const [name, text] of Object.entries(extra)) sources.push([name, Buffer.from(text)])
  const found: Record<string, string[]> = {}
  for (const m of markers) {
    const where = sources.filter(([, bytes]) => bytes.includes(Buffer.from(m))).map(([name]) => name)
    if (where.length > 0) found[m] = where
  }
  return found
}
