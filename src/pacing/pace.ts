import type { TenantConfig } from '../config/tenant'
import type { ProviderId } from '../lib/vocabulary'
import type { Pace } from '../pacer/bucket'

/**
 * A sender's pace from the tenant's settings (docs/pacing.md, "Senders"): its `senders` entry, else the
 * provider's `default_mps`; null when neither names one (unpaced: Twilio queues per number itself).
 */
export function paceOf(tenant: TenantConfig, provider: ProviderId, sender: string | undefined): Pace | null {
  const own = sender ? tenant.settings.senders[sender] : undefined
  if (own) return { mps: own.mps, burst: own.burst ?? own.mps }
  const mps = tenant.settings.default_mps[provider]
  return mps ? { mps, burst: mps } : null
}

/** The Durable Object name of one sender's pacer: one per tenant, provider and sender. */
export const pacerName = (tenantId: string, provider: ProviderId, sender: string | undefined) =>
  `${tenantId}\u0000${provider}\u0000${sender ?? ''}`
