// Types for static/canonical-text.js (plain JavaScript, served to browsers as it is).
export function canonicalBody(raw: string): string
export function canonicalPostText(p: { site: string; cell: string; board: string; thread: number | string; title: string; body: string }): string
export function ballotText(b: { site: string; cell: string; question: number | string; line: number | string; choice: string }): string
