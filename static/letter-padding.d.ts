// Types for static/letter-padding.js (plain JavaScript, served to browsers as it is).
export const LETTER_BUCKETS: readonly number[]
export const LETTER_MAX_BYTES: number
export function letterText(text: string): string
export function bucketFor(bytes: number): number | null
export function padLetter(text: string): Uint8Array | null
export function unpadLetter(bytes: Uint8Array): string
