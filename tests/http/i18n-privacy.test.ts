import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'

// /privacy in the reader's language (the cb_lang cookie): every sentence from the catalog area
// `privacy`, the plurals by count, and Arabic written right to left.
describe('/privacy in Spanish and Arabic', () => {
  let board: Awaited<ReturnType<typeof makeBoard>>
  let short: Awaited<ReturnType<typeof makeBoard>>
  beforeAll(async () => {
    board = await makeBoard()
    short = await makeBoard({ SESSION_IDLE_HOURS: '2', TIME_GRANULARITY_MINUTES: '1' })
  })
  afterAll(async () => {
    await board.close()
    await short.close()
  })

  const read = async (b: typeof board, l: string) => {
    const c = b.client()
    c.cookies.set('cb_lang', l)
    const { res, text } = await c.get('/privacy')
    expect(res.status).toBe(200)
    return text
  }

  it('cb_lang=es: the page, the registry’s sentences and the plurals are Spanish', async () => {
    const text = await read(board, 'es')
    expect(text).toContain('<h1>Qué guarda este servidor</h1>')
    expect(text).toContain('<td><code>body_html</code></td><td>publicado</td><td>el texto convertido a HTML una sola vez, al escribirse</td>')
    expect(text).toContain('<td><code>lang</code></td><td>publicado</td><td>el idioma de la célula')
    expect(text).toContain('direcciones IP (ni se guardan')
    expect(text).toContain('Las horas publicadas se redondean a 60 minutos.')
    expect(text).toContain('Las sesiones terminan tras 12 horas de inactividad.')
    expect(text).toContain('(en la página «cambios de clave» de la célula), así que puedes comprobar que la clave a la que escribes fue nombrada por aquella en la que confiabas, con <code>gpg --verify</code>.')
    expect(text).not.toContain('What this server keeps</h1>')
    const one = await read(short, 'es')
    expect(one).toContain('Las horas publicadas se redondean a 1 minuto.')
    expect(one).toContain('Las sesiones terminan tras 2 horas de inactividad.')
  })

  it('cb_lang=ar: <html dir="rtl">, Arabic sentences, and the Arabic plural forms', async () => {
    const text = await read(board, 'ar')
    expect(text).toMatch(/<html[^>]* dir="rtl"/)
    expect(text).toMatch(/<html[^>]* lang="ar"/)
    expect(text).toContain('<h1>ما يحتفظ به هذا الخادم</h1>')
    expect(text).toContain('<td><code>body_html</code></td><td>منشور</td><td>النص محوَّلًا إلى HTML مرة واحدة عند كتابته</td>')
    const one = await read(short, 'ar')
    expect(one).toContain('تُقرَّب الأوقات المنشورة إلى أقرب دقيقة.')
    expect(one).toContain('تنتهي الجلسات بعد ساعتين من الخمول.')
    expect(text).not.toContain('تُقرَّب الأوقات المنشورة إلى أقرب دقيقة.')
  })

  it('without the cookie the page is English, as before', async () => {
    const { text } = await board.client().get('/privacy')
    expect(text).toMatch(/<html[^>]* dir="ltr"/)
    expect(text).toContain('Published times are rounded to 60 minutes.')
    expect(text).toContain('to 1 KiB, 4 KiB, 16 KiB, 64 KiB (with NUL bytes')
    expect(text).toContain('(the cell’s “key transitions” page), so you can check that the key you write to was named by the one you trusted, with <code>gpg --verify</code>.')
  })
})
