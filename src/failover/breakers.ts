import type { ProviderBreaker } from '../breaker/provider-breaker'
import { type BreakerProvider, breakerName } from '../breaker/state'
import type { TenantConfig } from '../config/tenant'
import { describeError, type Logger } from '../lib/log'

/** The breakers of every (tenant, provider), as the routed provider asks them (docs/guarantees.md). */
export interface Breakers {
  /** Whether a send may go to `provider` now (a half-open breaker lets one probe through). */
  allow(tenant: TenantConfig, provider: BreakerProvider): Promise<boolean>
  record(tenant: TenantConfig, provider: BreakerProvider, outcome: 'success' | 'fault'): Promise<void>
}

const configOf = (tenant: TenantConfig) => ({
  openAfter: tenant.settings.failover_open_after,
  probeSeconds: tenant.settings.failover_probe_seconds,
})

/**
 * The breakers behind the `BREAKER` Durable Object binding. Each state change is logged once, by the
 * call that made it. A breaker that cannot be reached lets the send through (as if closed): failover
 * must not stop every message when the breaker itself is unavailable.
 */
export function createBreakers(
  ns: DurableObjectNamespace<ProviderBreaker> | undefined,
  now: () => number,
  log: Logger,
): Breakers {
  const stub = (tenant: TenantConfig, provider: BreakerProvider) =>
    ns?.get(ns.idFromName(breakerName(tenant.id, provider)))
  const logChange = (
    tenant: TenantConfig,
    provider: string,
    v: { changed: boolean; state: string; reason: string | null },
  ) => {
    if (v.changed)
      log.warn('breaker changed', { tenant: tenant.id, provider, state: v.state, reason: v.reason })
  }
  return {
    async allow(tenant, provider) {
      const s = stub(tenant, provider)
      if (!s) return true
      try {
        const v = await s.allow(configOf(tenant), now())
        logChange(tenant, provider, v)
        return v.allowed
      } catch (e) {
        log.error('breaker unavailable; send allowed', { provider, ...describeError(e) })
        return true
      }
    },
    async record(tenant, provider, outcome) {
      const s = stub(tenant, provider)
      if (!s) return
      try {
        logChange(tenant, provider, await s.record(outcome, configOf(tenant), now()))
      } catch (e) {
        log.error('breaker outcome not recorded', { provider, ...describeError(e) })
      }
    },
  }
}
