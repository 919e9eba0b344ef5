import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Every file SQLite may keep content in, beside the database. */
export const DB_FILES = ['cellboard.db', 'cellboard.db-wal', 'cellboard.db-shm', 'cellboard.db-journal']

function search(sources: [string, Buffer][], markers: string[], extra: Record<string, string>): Record<string, string[]> {
  for (const [name, text] of Object.entries(extra)) sources.push([name, Buffer.from(text)])
  const found: Record<string, string[]> = {}
  for (const m of markers) {
    const where = sources.filter(([, bytes]) => bytes.includes(Buffer.from(m))).map(([name]) => name)
    if (where.length > 0) found[m] = where
  }
  return found
}

/** Where each marker occurs in the raw bytes of the SQLite files (and any extra texts given). */
export function findMarkers(dataDir: string, markers: string[], extra: Record<string, string> = {}): Record<string, string[]> {
  return search(DB_FILES.filter((f) => existsSync(join(dataDir, f))).map((f) => [f, readFileSync(join(dataDir, f))]), markers, extra)
}

/** The same over every file below a folder (a PostgreSQL data directory: heap, indexes, WAL). */
export function findMarkersInDir(root: string, markers: string[], extra: Record<string, string> = {}): Record<string, string[]> {
  const files: string[] = []
  const walk = (d: string) => {
    let names: string[]
    try {
      names = readdirSync(d)
    } catch {
      return // removed while we looked: another test file's database, dropped between stat and read
    }
    for (const name of names) {
      const p = join(d, name)
      let s
      try {
        s = statSync(p)
      } catch {
        continue // removed while we looked (a WAL segment, a temp file)
      }
      if (s.isDirectory()) walk(p)
      else if (s.isFile()) files.push(p)
    }
  }
  walk(root)
  const sources: [string, Buffer][] = []
  for (const f of files) {
    try {
      sources.push([f.slice(root.length + 1), readFileSync(f)])
    } catch {
      // gone since the walk
    }
  }
  return search(sources, markers, extra)
}
