import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'

// The board, thread, search and form pages in the reader's language (the lang cookie, set by
// GET /lang): sentences, counts that change their words with the number, and times.
let board: Awaited<ReturnType<typeof makeBoard>>
beforeEach(async () => {
  board = await makeBoard({}, () => Date.UTC(2026, 10, 22, 9, 41, 17))
})
afterEach(() => board.close())

const GENERAL = '/c/lobby/general'

async function reader(lang: 'es' | 'ar'): Promise<Client> {
  const c = board.client()
  expect((await c.get(`/lang?to=${lang}&next=/`)).res.status).toBe(303)
  return c
}

/** Two threads on the board: one of a single post, one of two. */
async function twoThreads(): Promise<string> {
  const c = board.client()
  await c.takeIdentity()
  await c.get(GENERAL)
  expect((await c.post(GENERAL, { title: 'Alone', body: 'One post.' })).res.status).toBe(303)
  const { res } = await c.post(GENERAL, { title: 'Talked', body: 'First.' })
  const thread = res.headers.get('location')!
  await c.get(thread)
  expect((await c.post(thread, { body: 'Second.' })).res.status).toBe(303)
  return thread
}

describe('the thread area in Spanish and Arabic', () => {
  it('a board page: its sentences, and each thread’s count of posts in the plural its number takes', async () => {
    await twoThreads()
    const es = (await (await reader('es')).get(GENERAL)).text
    expect(es).toContain('Seguir este tablón (canal Atom: su dirección va en un lector de canales)')
    expect(es).toContain('<small>1 mensaje · último 22 nov 2026, 09:00 UTC</small>')
    expect(es).toContain('<small>2 mensajes · último 22 nov 2026, 09:00 UTC</small>')
    expect(es).toContain('Para publicar, primero <a href="/identity?next=%2Fc%2Flobby%2Fgeneral">toma una identidad</a>.')

    const ar = (await (await reader('ar')).get(GENERAL)).text
    expect(ar).toContain('تابع هذه اللوحة (موجز Atom: ضع عنوانه في قارئ موجزات)')
    expect(ar).toContain('<small>مشاركة واحدة · آخرها 22 نوفمبر 2026، 09:00 UTC</small>')
    expect(ar).toContain('<small>مشاركتان · آخرها 22 نوفمبر 2026، 09:00 UTC</small>')
  })

  it('a thread page: the signing note, each post’s header and time', async () => {
    const thread = await twoThreads()
    const es = (await (await reader('es')).get(thread)).text
    expect(es).toContain('<summary>Cada mensaje dice cómo se firmó; su hora está redondeada hacia abajo.</summary>')
    expect(es).toContain('<li><i>desechable</i>: firmado con una clave desechable que el servidor guarda para esta sesión')
    expect(es).toMatch(/<time datetime="2026-11-22T09:00Z">22 nov 2026, 09:00 UTC<\/time> <i class="sig">desechable<\/i> <a href="[^"]+\.asc">texto firmado<\/a>/)
    const ar = (await (await reader('ar')).get(thread)).text
    expect(ar).toContain('<summary>تذكر كل مشاركة كيف وُقّعت؛ ووقتها مقرَّب إلى الأدنى.</summary>')
    expect(ar).toContain('<li><i>مفتاح مؤقت</i>: موقّعة بمفتاح مؤقت يحفظه الخادم لهذه الجلسة')
    expect(ar).toContain('اطرح سؤالًا عن هذه المشاركة')
  })

  it('a refused post: the messages beside the fields, whole sentences in the language', async () => {
    const c = await reader('es')
    await c.takeIdentity()
    await c.get(GENERAL)
    const r = await c.post(GENERAL, { title: '', body: '' })
    expect(r.res.status).toBe(422)
    expect(r.text).toContain('No se abrió el hilo: mira los mensajes junto a los campos.')
    expect(r.text).toContain('El título no puede estar vacío.')
    expect(r.text).toContain('Escribe algo primero (los caracteres invisibles no cuentan).')
    const long = await c.post(GENERAL, { title: 'x'.repeat(201), body: 'ok' })
    expect(long.res.status).toBe(422)
    expect(long.text).toContain('Como mucho 200 caracteres; este tiene 201.')
  })

  it('search: the page, a refusal with its count, and no match', async () => {
    const es = await reader('es')
    expect((await es.get('/search?q=nada&page=11')).text).toContain('Solo se muestran las primeras 10 páginas de resultados. Añade una palabra para acotar la búsqueda.')
    const ar = await reader('ar')
    const page = (await ar.get('/search?q=nowhereword')).text
    expect(page).toContain('<h1>بحث</h1>')
    expect(page).toContain('لا شيء يطابق.')
    expect((await ar.get('/search?q=a+b+c+d+e+f+g+h+i')).text).toContain('ابحث عن 8 كلمات على الأكثر في المرة الواحدة.')
  })
})
