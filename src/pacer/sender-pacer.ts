import { DurableObject } from 'cloudflare:workers'
import {
  type BucketState,
  effectivePace,
  newBucket,
  type Pace,
  recovered,
  reserve,
  slowDown,
  type Want,
} from './bucket'

/** What a pacer tells an operator (docs/pacing.md, "Console"). */
export interface PacerStatus {
  /** Segments per second granted now (the configured pace times the slow-down factor). */
  mps: number
  factor: number
  epoch: number
  /** The last reserved segment's time: how far ahead the sender's schedule reaches (ms). */
  scheduledUntil: number
  lastSlowDown: { at: number; reason: string } | null
  slowDowns: number
}

export interface Reservation {
  /** When each wanted message may go (ms since the epoch), in the order asked. */
  at: number[]
  epoch: number
}

const KEY = 'bucket'

/**
 * One sender's pacer (tenant, provider, sender): a Durable Object, so the token bucket is exact for every
 * isolate and queue consumer at once. The pace comes with each call (the tenant's settings live in the
 * Worker); the bucket state is kept in the object's storage so an evicted object does not restart full.
 */
export class SenderPacer extends DurableObject<Env> {
  private state: BucketState | undefined

  private async load(now: number): Promise<BucketState> {
    if (!this.state) this.state = (await this.ctx.storage.get<BucketState>(KEY)) ?? newBucket(now)
    return this.state
  }

  private save(s: BucketState) {
    this.state = s
    // Not awaited: the output gate holds the reply until the write is durable.
    void this.ctx.storage.put(KEY, s)
  }

  /** `now`: the caller's clock (the Worker's; one clock decides when a message goes). */
  async reserve(pace: Pace, wants: Want[], now: number = Date.now()): Promise<Reservation> {
    const r = reserve(await this.load(now), pace, wants, now)
    this.save(r.state)
    return { at: r.at, epoch: r.state.epoch }
  }

  async slowDown(reason: string, now: number = Date.now()): Promise<number> {
    const s = slowDown(await this.load(now), now, reason)
    this.save(s)
    return s.factor
  }

  async status(pace: Pace | null, now: number = Date.now()): Promise<PacerStatus> {
    const s = recovered(await this.load(now), now)
    return {
      mps: pace ? effectivePace(pace, s).mps : 0,
      factor: s.factor,
      epoch: s.epoch,
      scheduledUntil: s.fullAt,
      lastSlowDown: s.lastSlowDown,
      slowDowns: s.slowDowns,
    }
  }
}
