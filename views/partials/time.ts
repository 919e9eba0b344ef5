import { t, when } from '../../src/i18n/index.ts'
import { html, type Html } from '../html.ts'

/** Why a published time looks early: it is rounded down (src/domain/time.ts), on purpose. */
export const roundedTimes = (): string => t('thread.rounded_times')

/** A published time, compact (as the page's language writes it), with its reason a hover away. */
export const timeTag = (iso: string): Html => html`<time datetime="${iso}" title="${roundedTimes()}">${when(iso)}</time>`
