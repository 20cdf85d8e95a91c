/** A settable clock for driving retries through simulated time. */
export interface Clock {
  now: () => number
  set(ms: number): void
  advance(ms: number): void
}

export function createClock(start = Date.now()): Clock {
  let t = start
  return {
    now: () => t,
    set: (ms) => {
      t = ms
    },
    advance: (ms) => {
      t += ms
    },
  }
}

/** A small deterministic PRNG (mulberry32), so backoff jitter is exercised but reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
