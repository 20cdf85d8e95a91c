/**
 * A sender's token bucket as a schedule (docs/pacing.md, "The pacer"): pure functions over a small
 * state, kept by one Durable Object per sender so every isolate shares it. A reservation is a time: the
 * moment the bucket holds the message's segments. Reservations far ahead are allowed (a queue backlog
 * is scheduled at once); a slow-down starts a new epoch, and a reservation of an older epoch is made
 * again at the lowered pace when its message comes back.
 */

export interface Pace {
  /** Segments per second. */
  mps: number
  /** Segments that may go at once; the bucket starts full. */
  burst: number
}

export interface BucketState {
  /** When the bucket is full again if nothing more is reserved (ms). At or before now: full. */
  fullAt: number
  /** The share of `mps` granted now: 1, halved by each slow-down, raised step by step. */
  factor: number
  /** When `factor` last changed (a slow-down or a step up). */
  factorAt: number
  /** The bucket is empty at this time (a slow-down's pause ends): nothing is granted before it. */
  emptyAt: number
  /** Bumped by each slow-down: reservations of an older epoch are made again. */
  epoch: number
  lastSlowDown: { at: number; reason: string } | null
  slowDowns: number
}

/** A slow-down halves the pace, at most down to this share of it. */
export const MIN_FACTOR = 1 / 64
/** After a slow-down the pace rises by `STEP_UP` of the configured rate every `STEP_MS` without another. */
export const STEP_MS = 10_000
export const STEP_UP = 0.1
/** After a slow-down nothing more goes for this long: the provider's window was full. */
export const PAUSE_MS = 1_000

export const newBucket = (now: number): BucketState => ({
  fullAt: now,
  emptyAt: 0,
  factor: 1,
  factorAt: now,
  epoch: 0,
  lastSlowDown: null,
  slowDowns: 0,
})

/** The state with the additive increase since `factorAt` applied (lazily: no timers). */
export function recovered(s: BucketState, now: number): BucketState {
  if (s.factor >= 1) return s
  const steps = Math.floor((now - s.factorAt) / STEP_MS)
  if (steps <= 0) return s
  const factor = Math.min(1, s.factor + steps * STEP_UP)
  return { ...s, factor, factorAt: s.factorAt + steps * STEP_MS }
}

/**
 * Headroom against the provider's own count: it sees our sends a network trip later and with jitter, so
 * the pacer grants 1 % under the rate and keeps one segment of the bucket back (docs/pacing.md).
 */
export const RATE_MARGIN = 0.99

/** The pace granted now: the configured one times the state's factor, less the headroom. */
export const effectivePace = (pace: Pace, s: BucketState): Pace => ({
  mps: pace.mps * s.factor * RATE_MARGIN,
  burst: Math.max(1, pace.burst * s.factor - 1),
})

export interface Want {
  segments: number
  /** A reservation made earlier (its time and epoch), honoured when the epoch is still current. */
  slot?: { at: number; epoch: number }
}

/**
 * Reserve a time for each wanted message, in order. A message of `n` segments may go when the bucket
 * holds `n`; a message larger than the bucket waits until it is full and overdraws it.
 */
export function reserve(
  state: BucketState,
  pace: Pace,
  wants: Want[],
  now: number,
): { state: BucketState; at: number[] } {
  let s = recovered(state, now)
  const { mps, burst } = effectivePace(pace, s)
  const msPerSegment = 1000 / mps
  let fullAt = Math.max(s.fullAt, now - burst * msPerSegment, s.emptyAt + burst * msPerSegment)
  const at: number[] = []
  for (const w of wants) {
    if (w.slot && w.slot.epoch === s.epoch) {
      at.push(w.slot.at)
      continue
    }
    const n = Math.max(1, w.segments)
    // Tokens at t are burst − (fullAt − t)/msPerSegment; enough for n from t ≥ fullAt − (burst − n)·msPerSegment.
    const t = Math.max(now, fullAt - Math.max(0, burst - n) * msPerSegment)
    at.push(t)
    fullAt = Math.max(fullAt, t) + n * msPerSegment
  }
  s = { ...s, fullAt }
  return { state: s, at }
}

/**
 * A slow-down signal (docs/pacing.md, "Slow-down"): halve the pace, start a new epoch, and grant
 * nothing for `PAUSE_MS`. Signals within one `STEP_MS` of the last count once: a burst of receipts for
 * messages sent in one window is one signal, not a collapse to the floor.
 */
export function slowDown(state: BucketState, now: number, reason: string): BucketState {
  const s = recovered(state, now)
  const last = s.lastSlowDown
  if (last && now - last.at < STEP_MS) return { ...s, slowDowns: s.slowDowns + 1 }
  return {
    ...s,
    factor: Math.max(MIN_FACTOR, s.factor / 2),
    factorAt: now,
    epoch: s.epoch + 1,
    emptyAt: now + PAUSE_MS,
    lastSlowDown: { at: now, reason },
    slowDowns: s.slowDowns + 1,
  }
}
