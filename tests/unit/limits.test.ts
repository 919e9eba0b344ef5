import { describe, expect, it } from 'vitest'
import { limitReached, windowFor, type Limits } from '../../src/domain/limits.ts'
import { inLang } from '../../src/i18n/index.ts'

const limits: Limits = {
  thread: { points: 6, windowMs: 3600_000 },
  reply: { points: 20, windowMs: 600_000 },
  question: { points: 5, windowMs: 3600_000 },
  ballot: { points: 30, windowMs: 600_000 },
  preview: { points: 60, windowMs: 600_000 },
  newKeyDivisor: 3,
}

describe('windowFor', () => {
  it('divides a new key’s limits, never below one', () => {
    expect(windowFor(limits, 'thread', { newKey: true })).toEqual({ points: 2, windowMs: 3600_000 })
    expect(windowFor(limits, 'reply', { newKey: true })).toEqual({ points: 6, windowMs: 600_000 })
    expect(windowFor(limits, 'question', { newKey: true })).toEqual({ points: 1, windowMs: 3600_000 })
    expect(windowFor({ ...limits, newKeyDivisor: 100 }, 'ballot', { newKey: true }).points).toBe(1)
  })
  it('gives a roster key four times the questions', () => {
    expect(windowFor(limits, 'question', { newKey: false, onRoster: true }).points).toBe(20)
    expect(windowFor(limits, 'thread', { newKey: false, onRoster: true }).points).toBe(6)
  })
})

describe('limitReached', () => {
  it('is a 429 that says the rule, when to go on, and that the text is kept', () => {
    const e = limitReached('reply', { points: 6, windowMs: 600_000 }, 61_000, { points: 20, windowMs: 600_000 })
    expect(e.status).toBe(429)
    expect(e.message).toBe('In its first hour a key may reply 6 times every 10 minutes (20 times after that), and this one has. You may reply again in about 2 minutes. Nothing was saved; what you wrote is kept below. (Limits keep a board readable when someone floods it with replies.)')
    expect(limitReached('thread', { points: 1, windowMs: 3600_000 }, 10, null).message).toMatch(/^A key may start a thread once an hour, and this one has\. You may start a thread again in about 1 minute\./)
  })
  it('says it in the language of the request, each count in the plural its number takes', () => {
    expect(inLang('es', () => limitReached('ballot', { points: 1, windowMs: 60_000 }, 61_000, null).message)).toBe(
      'Una clave puede votar una vez cada minuto, y esta ya lo ha hecho. Podrás votar de nuevo dentro de unos 2 minutos. No se guardó nada; lo que escribiste se conserva abajo. (Los límites mantienen legible un tablón cuando alguien lo inunda de votos.)',
    )
    expect(inLang('ar', () => limitReached('thread', { points: 2, windowMs: 3600_000 }, 30_000, { points: 6, windowMs: 3600_000 }).message)).toMatch(
      /^في ساعته الأولى، يمكن للمفتاح أن يبدأ نقاشًا مرتين في الساعة \(و6 مرات بعد ذلك\)، وقد بلغ هذا المفتاح ذلك\. يمكنك أن تبدأ نقاشًا من جديد بعد نحو دقيقة واحدة\./,
    )
  })
})
