import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { t } from '../../i18n/index.ts'
import { verifyFileSignature } from '../../pgp.ts'
import { CELL_KEY } from './paths.ts'
import { MANIFEST, MANIFEST_SIGNATURE } from './writer.ts'

// `npm run cellboard -- verify-archive DIR`, offline, with no database: MANIFEST.asc is a good
// signature over MANIFEST by the cell key the archive carries (whose fingerprint the reader
// compares with the cell's by another way), every file MANIFEST lists is there with its SHA-256,
// and there is no file it does not list. Each problem names its file, in the current language.

export type ArchiveCheck = { ok: boolean; fingerprint: string | null; files: number; problems: string[] }

const LINE = /^([0-9a-f]{64}) {2}(.+)$/

const safePath = (p: string) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..')

export async function verifyArchive(dir: string): Promise<ArchiveCheck> {
  const problems: string[] = []
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : null)
  const manifest = read(MANIFEST)
  const signature = read(MANIFEST_SIGNATURE)
  const cellKey = read(CELL_KEY)
  if (!manifest) return { ok: false, fingerprint: null, files: 0, problems: [t('cli.archive_no_manifest', { manifest: MANIFEST, dir })] }
  if (!signature) problems.push(t('cli.archive_no_signature', { signature: MANIFEST_SIGNATURE, command: `gpg --local-user FINGERPRINT --detach-sign --armor ${join(dir, MANIFEST)}` }))
  if (!cellKey) problems.push(t('cli.archive_no_cell_key', { file: CELL_KEY }))

  let fingerprint: string | null = null
  if (signature && cellKey) {
    const r = await verifyFileSignature(manifest, signature.toString('utf8'), cellKey.toString('utf8'))
    if (r.ok) fingerprint = r.fingerprint
    else problems.push(t('cli.archive_bad_signature', { signature: MANIFEST_SIGNATURE, why: r.why, key: CELL_KEY }))
  }

  // Each listed file once, with the hash it must have.
  const listed = new Map<string, string>()
  const lines = manifest.toString('utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  lines.forEach((line, i) => {
    const m = LINE.exec(line)
    if (!m || !safePath(m[2]!) || m[2] === MANIFEST || m[2] === MANIFEST_SIGNATURE) return void problems.push(t('cli.archive_bad_line', { manifest: MANIFEST, line: i + 1 }))
    if (listed.has(m[2]!)) return void problems.push(t('cli.archive_listed_twice', { manifest: MANIFEST, path: m[2]! }))
    listed.set(m[2]!, m[1]!)
  })

  // Every file on disk: listed, unchanged; then whatever is listed and was not found.
  let files = 0
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name
      if (path === MANIFEST || path === MANIFEST_SIGNATURE) continue
      const stat = lstatSync(join(dir, path))
      if (stat.isDirectory()) {
        walk(path)
        continue
      }
      if (!stat.isFile()) {
        problems.push(t('cli.archive_not_plain', { path }))
        continue
      }
      const want = listed.get(path)
      if (want === undefined) {
        problems.push(t('cli.archive_added', { path, manifest: MANIFEST }))
        continue
      }
      listed.delete(path)
      files++
      if (createHash('sha256').update(readFileSync(join(dir, path))).digest('hex') !== want) problems.push(t('cli.archive_changed', { path, manifest: MANIFEST }))
    }
  }
  walk('')
  for (const path of listed.keys()) problems.push(t('cli.archive_missing', { path, manifest: MANIFEST }))
  return { ok: problems.length === 0, fingerprint, files, problems }
}
