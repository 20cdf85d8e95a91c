import { DurableObject } from 'cloudflare:workers'
import {
  type AllowView,
  allow,
  type BreakerConfig,
  type BreakerState,
  type BreakerStatus,
  type BreakerView,
  type Forced,
  force,
  initial,
  type Outcome,
  record,
  type Step,
  statusOf,
  trip,
} from './state'

const KEY = 'breaker'

/**
 * One tenant's breaker for one provider (named by `breakerName`): a Durable Object, so every isolate and
 * queue consumer sees the same state and a half-open breaker grants exactly one probe. The thresholds come
 * with each call (the tenant's settings live in the Worker); the state is kept in the object's storage so
 * an evicted object does not forget that a provider is down.
 */
export class ProviderBreaker extends DurableObject<Env> {
  private state: BreakerState | undefined

  private async load(now: number): Promise<BreakerState> {
    if (!this.state) this.state = (await this.ctx.storage.get<BreakerState>(KEY)) ?? initial(now).state
    return this.state
  }

  private save<V extends BreakerView>(step: Step<V>): V {
    if (step.state !== this.state) {
      this.state = step.state
      // Not awaited: the output gate holds the reply until the write is durable.
      void this.ctx.storage.put(KEY, step.state)
    }
    return step.view
  }

  /** `now`: the caller's clock (the Worker's), like the pacer's. */
  async allow(cfg: BreakerConfig, now: number = Date.now()): Promise<AllowView> {
    return this.save(allow(await this.load(now), cfg, now))
  }

  async record(outcome: Outcome, cfg: BreakerConfig, now: number = Date.now()): Promise<BreakerView> {
    return this.save(record(await this.load(now), cfg, outcome, now))
  }

  async trip(reason: string, now: number = Date.now()): Promise<BreakerView> {
    return this.save(trip(await this.load(now), now, reason))
  }

  async force(forced: Forced, actor: string, now: number = Date.now()): Promise<BreakerView> {
    return this.save(force(await this.load(now), forced, now, actor))
  }

  async status(now: number = Date.now()): Promise<BreakerStatus> {
    return statusOf(await this.load(now))
  }
}
