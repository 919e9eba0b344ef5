import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'

/** Why a published time looks early: it is rounded down (src/domain/time.ts), on purpose. */
export const roundedTimes = (): string => t('thread.rounded_times')

/**
 * A published time, compact (as the page's language writes it). Its reason (roundedTimes) is said
 * once above the posts rather than in a title on each: a thread page repeats this 200 times. The
 * machine-readable time drops the seconds, always zero after rounding ("2026-11-22T09:00Z").
 */
export const timeTag = (iso: string): Html => html`<time datetime="${iso.replace(/:00\.000Z$/, 'Z')}">${when(iso)}</time>`
