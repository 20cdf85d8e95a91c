/** 30 s, 1 m, 5 m, 15 m, 30 m, 1 h, 2 h, 4 h, then 4 h again. */
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

/**
 * The failed-request fields after a first attempt that failed with `error`: retryable failures are
 * `pending` and due after the first backoff step (or `Retry-After`), permanent ones are `dead`.
 */
export function afterFirstFailure(
  error: {
    retryable: boolean
    retryAfterMs?: number | undefined
    status?: number | undefined
    summary(): string
  },
  now: number,
  random: () => number,
) {
  const nextAt = error.retryable ? nextAttemptAt(now, 1, random, error.retryAfterMs) : null
  return {
    httpStatus: error.status ?? null,
    state: error.retryable ? ('pending' as const) : ('dead' as const),
    attempts: 1,
    nextAttemptAt: nextAt,
    lastError: error.summary(),
  }
}
