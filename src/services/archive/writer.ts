import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const MANIFEST = 'MANIFEST'
export const MANIFEST_SIGNATURE = 'MANIFEST.asc'

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

/**
 * Writes an archive's files as they come and appends each one's SHA-256 to MANIFEST at once, in
 * sha256sum's format ("HASH  path"): nothing about the files is held in memory but the last folder
 * made, so the export's memory stays flat however many posts the cell has.
 */
export class ArchiveWriter {
  private readonly manifest: number
  private lastDir = ''
  files = 0
  bytes = 0

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
    this.manifest = openSync(join(dir, MANIFEST), 'wx')
  }

  write(path: string, data: string | Uint8Array): void {
    if (path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.' || p === '') || path === MANIFEST || path === MANIFEST_SIGNATURE) throw new Error(`not an archive path: ${path}`)
    const full = join(this.dir, path)
    const dir = dirname(full)
    if (dir !== this.lastDir) {
      mkdirSync(dir, { recursive: true })
      this.lastDir = dir
    }
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    writeFileSync(full, bytes, { flag: 'wx' })
    writeSync(this.manifest, `${sha256(bytes)}  ${path}\n`)
    this.files++
    this.bytes += bytes.length
  }

  json(path: string, value: unknown): void {
    this.write(path, `${JSON.stringify(value, null, 1)}\n`)
  }

  close(): void {
    closeSync(this.manifest)
  }
}
