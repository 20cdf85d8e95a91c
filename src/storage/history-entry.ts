const iso = (ms: number) => new Date(ms).toISOString()

/** One entry of a delivery's `history` (JSON text): the state or provider status, when, and why. */
export const entry = (state: string, now: number, detail?: string): string =>
  JSON.stringify(detail ? { state, at: iso(now), detail } : { state, at: iso(now) })
