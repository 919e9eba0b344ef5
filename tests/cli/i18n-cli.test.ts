import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { inLang } from '../../src/i18n/index.ts'
import { verifyArchive } from '../../src/services/archive/verify.ts'
import { cliBoard } from '../support/cli-board.ts'

// The operator CLI in its operator's language (issue 14): CELLBOARD_LANG, else the locale's
// (LC_ALL, LC_MESSAGES, LANG), else English; and a cell's language, set by `cell create --lang`
// and `cell lang`, which its pages are in.
const board = cliBoard('cellboard-i18n-cli-')
const root = new URL('../../', import.meta.url).pathname

/** `npm run cellboard -- ARGS` on the board, with these variables in its environment too. */
let url: string | null = null
beforeEach(async () => {
  url = await board.withDeps(async (deps) => deps.config.databaseUrl)
})
function cliWith(vars: Record<string, string>, ...args: string[]) {
  const env = { PATH: process.env.PATH, DATA_DIR: board.dir(), ...(url ? { DATABASE_URL: url } : {}), ...vars }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, encoding: 'utf8', env })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** The cell's page as a reader with no language cookie gets it, and the cell's stored language. */
const cellPage = (slug: string) =>
  board.withDeps(async (deps) => ({
    html: await (await createApp(deps).request(`/c/${slug}`)).text(),
    lang: (await deps.db.selectFrom('cell').select('lang').where('slug', '=', slug).executeTakeFirstOrThrow()).lang,
  }))

describe('npm run cellboard -- cell create --lang, cell lang', () => {
  it('creates a cell in Spanish, changes it to Arabic (logged), and refuses a language it does not speak, naming those it does', { timeout: 240_000 }, async () => {
    expect(cliWith({}, 'cell', 'create', 'celula', '--name', 'Célula', '--lang', 'es')).toMatchObject({ code: 0, out: 'created cell celula (0 principles)\n', err: '' })
    const es = await cellPage('celula')
    expect(es.lang).toBe('es')
    expect(es.html).toMatch(/<html lang="es" dir="ltr">/)

    expect(cliWith({}, 'cell', 'lang', 'celula', 'ar')).toMatchObject({ code: 0, out: 'the cell celula is now in العربية (ar)\n', err: '' })
    const ar = await cellPage('celula')
    expect(ar.lang).toBe('ar')
    expect(ar.html).toMatch(/<html lang="ar" dir="rtl">/)
    const log = await board.withDeps(async (deps) => (await deps.db.selectFrom('operator_action').select('action').orderBy('id').execute()).map((a) => a.action))
    expect(log.at(-1)).toContain('(ar)')

    const refused = cliWith({}, 'cell', 'lang', 'celula', 'xx')
    expect(refused.code).toBe(1)
    expect(refused.out).toBe('')
    expect(refused.err).toContain('"xx"')
    expect(refused.err).toContain('en, es, ar')
    // The message is said once, not again as the field's.
    expect(refused.err.split('en, es, ar')).toHaveLength(2)
    expect((await cellPage('celula')).lang).toBe('ar')
  })

  it('answers in Spanish with CELLBOARD_LANG=es and in Arabic with LANG=ar_EG.UTF-8, plurals by count; CELLBOARD_LANG wins over the locale', { timeout: 240_000 }, async () => {
    const usage = cliWith({ CELLBOARD_LANG: 'es' })
    expect(usage.code).toBe(0)
    expect(usage.out).toMatch(/^uso: npm run cellboard -- <command>\n/)
    expect(usage.out).toContain('crea una célula con su línea')
    // The syntax stays as it is, and every description starts at the same column.
    const column = (out: string) =>
      new Set(
        out.split('\n').flatMap((l) => {
          const start = /^ {2}\S.*? {2,}(?=\S)/.exec(l) ?? /^ {20,}(?=\S)/.exec(l)
          return start ? [start[0].length] : []
        }),
      )
    expect(usage.out).toContain('  cell lang CELL CODE ')
    expect([...column(usage.out)]).toEqual([55])

    expect(cliWith({ CELLBOARD_LANG: 'es' }, 'cell', 'create', 'uno', '--name', 'Uno', '--principle', 'Leer.')).toMatchObject({ code: 0, out: 'creada la célula uno (1 principio)\n' })
    expect(cliWith({ LC_ALL: 'es_ES.UTF-8' }, 'cell', 'create', 'dos', '--name', 'Dos', '--principle', 'Leer.', '--principle', 'Discutir.')).toMatchObject({ code: 0, out: 'creada la célula dos (2 principios)\n' })
    const es = cliWith({ CELLBOARD_LANG: 'es' }, 'cell', 'lang', 'uno', 'xx')
    expect(es).toMatchObject({ code: 1, out: '' })
    expect(es.err).toContain('Aquí no hay un idioma «xx»: uno de en, es, ar.')

    expect(cliWith({ LANG: 'ar_EG.UTF-8' }, 'cell', 'create', 'thalath', '--name', 'Thalath', '--principle', 'أ', '--principle', 'ب')).toMatchObject({ code: 0, out: 'أُنشئت الخلية thalath (مبدآن)\n' })
    const ar = cliWith({ LANG: 'ar_EG.UTF-8' }, 'frobnicate', 'now')
    expect(ar.code).toBe(1)
    expect(ar.err).toMatch(/^cellboard: أمر غير معروف: frobnicate now\n\nالاستخدام: npm run cellboard -- <command>\n/)
    expect([...column(ar.err)]).toEqual([55])

    expect(cliWith({ CELLBOARD_LANG: 'en', LANG: 'ar_EG.UTF-8' }, 'cell', 'create', 'four', '--name', 'Four', '--principle', 'Read.')).toMatchObject({ code: 0, out: 'created cell four (1 principle)\n' })
  })
})

describe('verify-archive’s problems, in the language asked', () => {
  it('names the missing MANIFEST in English, Spanish and Arabic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellboard-i18n-archive-'))
    try {
      expect((await inLang('en', () => verifyArchive(dir))).problems).toEqual([`MANIFEST: missing (is ${dir} an archive?)`])
      expect((await inLang('es', () => verifyArchive(dir))).problems).toEqual([`MANIFEST: falta (¿es ${dir} un archivo?)`])
      expect((await inLang('ar', () => verifyArchive(dir))).problems).toEqual([`MANIFEST: مفقود (هل ${dir} أرشيف؟)`])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
