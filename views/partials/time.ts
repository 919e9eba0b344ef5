import { showTime } from '../../src/domain/time.ts'
import { html, type Html } from '../html.ts'

/** Why a published time looks early: it is rounded down (src/domain/time.ts), on purpose. */
export const ROUNDED_TIMES = 'Times are rounded down on purpose, so nothing links a post to when it was sent'

/** A published time, compact, with its reason a hover away. */
export const timeTag = (iso: string): Html => html`<time datetime="${iso}" title="${ROUNDED_TIMES}">${showTime(iso)}</time>`
