/** DESIGN §5: 30 s, 1 m, 5 m, 15 m, 30 m, 1 h, 2 h, 4 h, then 4 h again. */
export const BACKOFF_MS = [30e3, 60e3, 300e3, 900e3, 1800e3, 3600e3, 7200e3, 14400e3] as const

/** ±10 % so a burst of failures does not come back as a burst. */
const JITTER = 0.1

/**
 * When to try again after the `attempts`-th failed attempt (1-based). A provider's `Retry-After` is a
 * floor: the next attempt is never earlier than it asked.
 */
export function nextAttemptAt(
  now: number,
  attempts: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  const base = BACKOFF_MS[Math.min(Math.max(attempts, 1), BACKOFF_MS.length) - 1] as number
  const jittered = Math.round(base * (1 + JITTER * (2 * random() - 1)))
  return now + Math.max(jittered, retryAfterMs ?? 0)
}
