/**
 * Rate bookkeeping shared by the fake providers' per-sender rates (the real providers' pacing behaviour
 * is described in docs/protocols.md): a token bucket, a draining queue, and per-sender send statistics
 * with the busiest one-second window.
 */

/** A bucket of `size` tokens refilled at `perSecond`, starting full. */
export class TokenBucket {
  private tokens: number
  private at: number

  constructor(
    private readonly perSecond: number,
    private readonly size: number,
    now = Date.now(),
  ) {
    this.tokens = size
    this.at = now
  }

  /** Take `n` tokens if there are that many; false (and nothing taken) otherwise. */
  take(n: number, now = Date.now()): boolean {
    this.tokens = Math.min(this.size, this.tokens + ((now - this.at) / 1000) * this.perSecond)
    this.at = now
    if (this.tokens + 1e-9 < n) return false
    this.tokens -= n
    return true
  }
}

/** A queue of `capacity` units drained at `perSecond`, starting empty. */
export class DrainingQueue {
  private level = 0
  private at: number

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    now = Date.now(),
  ) {
    this.at = now
  }

  /** Add `n` units if they fit; false (and nothing added) when the queue would overflow. */
  add(n: number, now = Date.now()): boolean {
    this.level = Math.max(0, this.level - ((now - this.at) / 1000) * this.perSecond)
    this.at = now
    if (this.level + n > this.capacity + 1e-9) return false
    this.level += n
    return true
  }
}

/** What a fake counts per sender. `segments`/`maxPerSecond` cover every accepted send. */
export interface SenderStats {
  accepted: number
  segments: number
  firstAt: number | null
  lastAt: number | null
  /** The most segments accepted within any sliding one-second window. */
  maxPerSecond: number
  [counter: string]: number | null
}

/** Per-sender statistics; only the last second of sends is kept, so memory stays flat. */
export class SenderTracker {
  readonly stats: SenderStats = { accepted: 0, segments: 0, firstAt: null, lastAt: null, maxPerSecond: 0 }
  private window: { at: number; segments: number }[] = []
  private inWindow = 0

  accept(segments: number, now = Date.now()) {
    const s = this.stats
    s.accepted++
    s.segments += segments
    s.firstAt ??= now
    s.lastAt = now
    this.window.push({ at: now, segments })
    this.inWindow += segments
    let drop = 0
    while (drop < this.window.length && now - (this.window[drop]?.at ?? now) >= 1000) {
      this.inWindow -= this.window[drop]?.segments ?? 0
      drop++
    }
    if (drop > 0) this.window = this.window.slice(drop)
    s.maxPerSecond = Math.max(s.maxPerSecond, this.inWindow)
  }

  count(counter: string, by = 1) {
    this.stats[counter] = ((this.stats[counter] as number | undefined) ?? 0) + by
  }
}

/** Trackers by sender, rendered as `{<sender>: SenderStats}`. */
export class BySender {
  private readonly trackers = new Map<string, SenderTracker>()

  of(sender: string): SenderTracker {
    let t = this.trackers.get(sender)
    if (!t) {
      t = new SenderTracker()
      this.trackers.set(sender, t)
    }
    return t
  }

  toJSON(): Record<string, SenderStats> {
    return Object.fromEntries([...this.trackers].map(([k, t]) => [k, t.stats]))
  }
}
