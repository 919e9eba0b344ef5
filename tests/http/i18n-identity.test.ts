import { afterEach, describe, expect, it } from 'vitest'
import { numberInWords, readAnswer } from '../../src/domain/costs.ts'
import { cookieName } from '../../src/http/cookies.ts'
import { makeBoard, type Client } from '../support/app.ts'
import { makeRole, referenceOn, withCellKey } from '../support/letters.ts'

// Identity, letters, keys and costs in Spanish and Arabic (issue 14): the reader's language (the
// lang cookie) picks the catalog; plurals follow each language's rules; the captcha question is
// asked in the reader's language and its answer read in any of them.
let board: Awaited<ReturnType<typeof makeBoard>>
afterEach(() => board?.close())

const speak = (c: Client, lang: 'es' | 'ar') => c.cookies.set(cookieName(board.deps.config, 'lang'), lang)

async function lettersWaiting(count: number) {
  const writer = board.client()
  for (let i = 0; i < count; i++) {
    await writer.get('/c/lobby/letters/new')
    expect(referenceOn((await writer.post('/c/lobby/letters', { text: `Letter ${i}` })).text)).not.toBeNull()
  }
}

describe('identity and letters in Spanish', () => {
  it('the identity page, a refusal, and the inbox count as Spanish counts', async () => {
    board = await makeBoard()
    await withCellKey(board)
    const c = board.client()
    speak(c, 'es')
    const page = await c.get('/identity')
    expect(page.text).toContain('<h1>Tomar una identidad</h1>')
    expect(page.text).toContain(`tras ${board.deps.config.sessionIdleMs / 3600_000} horas de inactividad`)
    expect(page.text).toContain('<code>gpg --clearsign FILE</code>')
    expect(page.text).toContain('data-msg-create="Crear una clave del navegador"')
    expect(page.text).not.toContain('Take an identity')

    await c.get('/c/lobby/letters/new')
    const empty = await c.post('/c/lobby/letters', { text: '  ' })
    expect(empty.res.status).toBe(422)
    expect(empty.text).toContain('La carta está vacía. Escribe algo y luego envíala.')

    const voter = board.client()
    speak(voter, 'es')
    await makeRole(board, voter, 'voter')
    expect((await voter.get('/c/lobby/letters')).text).toContain('No hay cartas esperando.')
    await lettersWaiting(1)
    expect((await voter.get('/c/lobby/letters')).text).toContain('1 carta espera.')
    await lettersWaiting(1)
    const inbox = await voter.get('/c/lobby/letters')
    expect(inbox.text).toContain('2 cartas esperan.')
    expect(inbox.text).toContain('<title>Cartas a')
  })
})

describe('identity and letters in Arabic', () => {
  it('the identity page, and the inbox count with the dual', async () => {
    board = await makeBoard()
    await withCellKey(board)
    const c = board.client()
    speak(c, 'ar')
    const page = await c.get('/identity')
    expect(page.text).toContain('<h1>اتخذ هوية</h1>')
    expect(page.text).toContain('<button>اتخاذ هوية مؤقتة</button>')
    const form = await c.get('/c/lobby/letters/new')
    expect(form.text).toContain('<button>تشفير وإرسال</button>')

    const voter = board.client()
    speak(voter, 'ar')
    await makeRole(board, voter, 'voter')
    await lettersWaiting(1)
    expect((await voter.get('/c/lobby/letters')).text).toContain('رسالة واحدة تنتظر.')
    await lettersWaiting(1)
    expect((await voter.get('/c/lobby/letters')).text).toContain('رسالتان تنتظران.')
    await lettersWaiting(1)
    expect((await voter.get('/c/lobby/letters')).text).toContain('3 رسائل تنتظر.')
  })
})

describe('the captcha question', () => {
  it('is asked in the reader’s language, and its answer read in digits or in words of any language', async () => {
    board = await makeBoard({ ABUSE_COSTS: 'on' })
    const c = board.client()
    speak(c, 'es')
    const page = await c.get('/identity')
    expect(page.text).toMatch(/O responde a esta pregunta, con cifras o con palabras: (¿Cuánto es|Suma|Quita) /)
    expect(page.text).toContain('alt="Una imagen con cinco letras y cifras.')

    expect(numberInWords(23, 'es')).toBe('veintitrés')
    expect(numberInWords(23, 'ar')).toBe('ثلاثة وعشرون')
    for (const typed of ['23', 'twenty-three', 'Veintitres.', 'veintitrés', 'ثلاثة وعشرون', '٢٣']) expect(readAnswer(typed), typed).toBe(23)
    for (let n = 0; n < 50; n++) for (const l of ['en', 'es', 'ar'] as const) expect(readAnswer(numberInWords(n, l))).toBe(n)
  })
})
