// Flood mode (issue 11, "Abuse without addresses"): a board that gets more posts in a minute than
// it can read, or that the operator says is flooded, asks every post for the same cost a new
// identity pays (domain/costs.ts), until the rate falls back. Nothing tells people apart, so the
// price is paid by every post there, not by "the flooder".

/** What the operator chose for a board: in flood when its rate says so, always, or never. */
export const FLOOD_SETTINGS = ['auto', 'on', 'off'] as const
export type FloodSetting = (typeof FLOOD_SETTINGS)[number]

export const isFloodSetting = (v: string): v is FloodSetting => (FLOOD_SETTINGS as readonly string[]).includes(v)

/** Whether a board is in flood: its setting, and (for 'auto') until when its rate holds it there. */
export function inFlood(setting: FloodSetting, heldUntil: number | null, now: number): boolean {
  if (setting !== 'auto') return setting === 'on'
  return heldUntil !== null && heldUntil > now
}
