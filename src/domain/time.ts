// Published times are coarse: a precise timestamp helps correlate a poster with network traffic.
// Order always comes from ids, never from these.
export function coarseTime(now: number, granularityMs: number): string {
  return new Date(Math.floor(now / granularityMs) * granularityMs).toISOString()
}

/** The same granularity, rounded up: for a time in the future (a deadline) that must not come early. */
export function coarseTimeAfter(at: number, granularityMs: number): string {
  return new Date(Math.ceil(at / granularityMs) * granularityMs).toISOString()
}

/** "2026-11-22 09:00 UTC" */
export function showTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}
