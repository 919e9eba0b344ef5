import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportCell } from '../../src/services/archive/export.ts'
import { createBoard, createCell } from '../../src/services/cells.ts'
import { makeBoard } from '../support/app.ts'
import { withCellKey } from '../support/letters.ts'

// Issue 14 for the cell's pages, the error page and the language switch: a cell's pages are in its
// language (and dir), a reader's choice (the cb_lang cookie, set by GET /lang) overrides it, and a
// burn drops that choice.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard()
  await createCell(board.deps, { slug: 'celula', name: 'Célula', principles: ['Decir lo que se piensa.'], lang: 'es' })
  await createBoard(board.deps, { cell: 'celula', slug: 'breve', name: 'Breve', description: '', retentionDays: 1 })
  await createBoard(board.deps, { cell: 'celula', slug: 'larga', name: 'Larga', description: '', retentionDays: 30 })
  await createCell(board.deps, { slug: 'khaliya', name: 'خلية', principles: ['قل ما تعنيه.', 'لا أحد هنا يسأل من يكون أحد.'], lang: 'ar' })
  await createBoard(board.deps, { cell: 'khaliya', slug: 'wahid', name: 'واحد', description: '', retentionDays: 1 })
  await createBoard(board.deps, { cell: 'khaliya', slug: 'ithnan', name: 'اثنان', description: '', retentionDays: 2 })
  await createBoard(board.deps, { cell: 'khaliya', slug: 'thalathun', name: 'ثلاثون', description: '', retentionDays: 30 })
})
afterEach(() => board.close())

describe('a cell in its language', () => {
  it('a cell created in Spanish shows its page in Spanish, left to right, with plurals by count', async () => {
    const { res, text } = await board.client().get('/c/celula')
    expect(res.status).toBe(200)
    expect(text).toContain('<html lang="es" dir="ltr">')
    expect(text).toContain('>Cuestiones abiertas</a>')
    expect(text).toContain('<h2>La línea <small>(versión 1)</small></h2>')
    expect(text).toContain('<span class="tag">se guarda 1 día</span>')
    expect(text).toContain('<span class="tag">se guarda 30 días</span>')
    expect(text).not.toContain('Open questions')
    // The decision log's operator lines are stored in the cell's language.
    const log = await board.column("select action from operator_action where cell_id = (select id from cell where slug = 'celula') order by id")
    expect(log[0]).toBe('creó la célula, con una línea de 1 principio')
    expect(log[1]).toBe('creó el tablón «breve» (lectura: cualquiera; publicación: cualquiera; los hilos se guardan 1 día)')
  })

  it('a cell created in Arabic is right to left, with its plural forms', async () => {
    const { text } = await board.client().get('/c/khaliya')
    expect(text).toContain('<html lang="ar" dir="rtl">')
    expect(text).toContain('>الأسئلة المفتوحة</a>')
    expect(text).toContain('<span class="tag">تُحفظ يومًا واحدًا</span>')
    expect(text).toContain('<span class="tag">تُحفظ يومين</span>')
    expect(text).toContain('<span class="tag">تُحفظ 30 يومًا</span>')
    const log = await board.column("select action from operator_action where cell_id = (select id from cell where slug = 'khaliya') order by id")
    expect(log[0]).toBe('أنشأ الخلية، بخط من مبدأين')
  })

  it("a reader's cookie cb_lang=en overrides the cell's language", async () => {
    const c = board.client()
    c.cookies.set('cb_lang', 'en')
    const { text } = await c.get('/c/celula')
    expect(text).toContain('<html lang="en" dir="ltr">')
    expect(text).toContain('>Open questions</a>')
    expect(text).toContain('<span class="tag">kept 1 day</span>')
    expect(text).toContain('<span class="tag">kept 30 days</span>')
  })
})

describe('the language switch', () => {
  it('GET /lang?to=ar&next=/c/x sets the cookie and goes back there (303)', async () => {
    const c = board.client()
    const res = await c.request('/lang?to=ar&next=/c/celula')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/c/celula')
    expect(res.headers.get('set-cookie')).toMatch(/^cb_lang=ar; Path=\/; HttpOnly; SameSite=Strict/)
    expect(c.cookies.get('cb_lang')).toBe('ar')
    // The Spanish cell now reads in Arabic for this reader.
    expect((await c.get('/c/celula')).text).toContain('<html lang="ar" dir="rtl">')
  })

  it('a language it does not speak is a 400 with a message', async () => {
    const c = board.client()
    const res = await c.request('/lang?to=xx&next=/c/celula')
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('There is no such language here.')
    expect(res.headers.get('set-cookie') ?? '').not.toContain('cb_lang')
  })

  it('a link from another site (Sec-Fetch-Site: cross-site) does not set the cookie', async () => {
    const c = board.client()
    const res = await c.request('/lang?to=ar&next=/c/celula', { headers: { 'sec-fetch-site': 'cross-site' } })
    expect(res.status).toBe(303)
    expect(res.headers.get('set-cookie') ?? '').not.toContain('cb_lang')
    expect(c.cookies.has('cb_lang')).toBe(false)
  })

  it('a burn drops the language cookie', async () => {
    const c = board.client()
    await c.request('/lang?to=es&next=/')
    expect(c.cookies.get('cb_lang')).toBe('es')
    await c.takeIdentity()
    const { res } = await c.post('/identity/burn', {})
    expect(res.status).toBe(303)
    expect(res.headers.getSetCookie().find((l) => l.startsWith('cb_lang='))).toMatch(/^cb_lang=;.*Max-Age=0/i)
    expect(c.cookies.has('cb_lang')).toBe(false)
  })
})

describe('the error page', () => {
  it("a 404 is in the reader's language", async () => {
    for (const [l, title, message] of [
      ['es', 'No encontrado', 'No hay nada en esta dirección.'],
      ['ar', 'غير موجود', 'لا شيء في هذا العنوان.'],
      ['en', 'Not found', 'There is nothing at this address.'],
    ] as const) {
      const c = board.client()
      c.cookies.set('cb_lang', l)
      const { res, text } = await c.get('/no/such/page')
      expect(res.status).toBe(404)
      expect(text).toContain(`<html lang="${l}" dir="${l === 'ar' ? 'rtl' : 'ltr'}">`)
      expect(text).toContain(`<h1>${title}</h1>`)
      expect(text).toContain(message)
    }
  })

  it("a refused form's text comes back under labels in the reader's language", async () => {
    const c = board.client()
    c.cookies.set('cb_lang', 'es')
    // No form token: shown read-only, to copy.
    const res = await c.request('/c/lobby/general', { method: 'POST', body: 'title=Hola&body=Texto', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    const text = await res.text()
    expect(res.status).toBe(403)
    expect(text).toContain('<h2>Lo que tenía el formulario, sin enviar</h2>')
    expect(text).toContain('Si es tuyo, <a href="/c/lobby/general">abre el formulario de nuevo</a> y pégalo allí.')
    expect(text).toContain('<label for="kept-title">Título</label>')
  })
})

describe('the static archive', () => {
  it("is written in the cell's language; its progress in the operator's", async () => {
    await withCellKey(board, 'khaliya')
    const out = join(mkdtempSync(join(tmpdir(), 'cellboard-i18n-')), 'archive')
    const stages: string[] = []
    try {
      await exportCell(board.deps, { cell: 'khaliya', out }, (p) => stages.push(p.stage))
      const index = readFileSync(join(out, 'index.html'), 'utf8')
      expect(index).toContain('<html lang="ar" dir="rtl">')
      expect(index).toContain('· أرشيف</title>')
      expect(index).toContain('<span class="tag">تُحفظ يومين</span>')
      expect(readFileSync(join(out, 'offline.html'), 'utf8')).toContain('<h1>ليس في هذا الأرشيف</h1>')
      expect(stages).toContain('the cell, its line, keys and decisions')
      expect(stages.at(-1)).toBe('done')
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true })
    }
  })
})
