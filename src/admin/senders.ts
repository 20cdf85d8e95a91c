import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { describeError } from '../lib/log'
import type { ProviderId } from '../lib/vocabulary'
import type { PacerStatus } from '../pacer/sender-pacer'
import { paceOf, pacerName } from '../pacing/pace'
import type { SenderQueue } from '../storage/sender-queues'

/** One row of the Senders view (docs/console.md, "Senders"). */
export interface SenderItem {
  provider: ProviderId
  sender: string | null
  queued: number
  oldest_queued_at: string | null
  configured_mps: number | null
  burst: number | null
  current_mps: number | null
  factor: number | null
  last_slow_down: { at: string; reason: string } | null
  slow_downs: number | null
  scheduled_until: string | null
}

export interface SenderList {
  status: 'OK'
  items: SenderItem[]
  /** True when one pacer (or all: no binding) did not answer; those items' pacer fields are null. */
  pacer_unavailable: boolean
}

const iso = (ms: number) => new Date(ms).toISOString()
/** Rates to three significant digits (a pace may be far below one segment per second). */
const rate = (n: number) => Number(n.toPrecision(3))

/**
 * The senders to show, longest queue first: every (provider, sender) with queued rows, and each sender
 * of the tenant's `senders` setting that has none. The setting does not say which provider a sender belongs to, so such
 * a sender is listed once, under `scg` (the provider with a default pace).
 */
export function sendersOf(tenant: TenantConfig, queues: SenderQueue[]): SenderQueue[] {
  const listed = new Set(queues.map((q) => q.sender))
  const idle = Object.keys(tenant.settings.senders)
    .filter((s) => !listed.has(s))
    .map((sender): SenderQueue => ({ provider: 'scg', sender, queued: 0, oldestAt: 0 }))
  // The longest queues first; then by provider and sender, so the order is stable.
  return [...queues, ...idle].sort(
    (a, b) =>
      b.queued - a.queued ||
      a.provider.localeCompare(b.provider) ||
      (a.sender ?? '').localeCompare(b.sender ?? ''),
  )
}

/**
 * The tenant's senders with their queues (one D1 query) and their pacers' state (one Durable Object
 * call per sender, in parallel). Without the pacer binding, or when a call fails, the sender is still
 * listed with its pacer fields null, and the list says `pacer_unavailable`.
 */
export async function listSenders(deps: Deps, tenant: TenantConfig): Promise<SenderList> {
  const senders = sendersOf(tenant, await deps.stores.senderQueues.list(tenant.id))
  const now = deps.now()
  let unavailable = false
  const items = await Promise.all(
    senders.map(async (q): Promise<SenderItem> => {
      const pace = paceOf(tenant, q.provider, q.sender ?? undefined)
      let status: PacerStatus | null = null
      const pacers = deps.pacers
      if (pacers) {
        try {
          const stub = pacers.get(pacers.idFromName(pacerName(tenant.id, q.provider, q.sender ?? undefined)))
          status = await stub.status(pace, now)
        } catch (e) {
          deps.log.warn('pacer status failed', { provider: q.provider, ...describeError(e) })
        }
      }
      if (!status) unavailable = true
      return {
        provider: q.provider,
        sender: q.sender,
        queued: q.queued,
        oldest_queued_at: q.queued > 0 ? iso(q.oldestAt) : null,
        configured_mps: pace?.mps ?? null,
        burst: pace?.burst ?? null,
        current_mps: status && pace ? rate(status.mps) : null,
        factor: status ? status.factor : null,
        last_slow_down: status?.lastSlowDown
          ? { at: iso(status.lastSlowDown.at), reason: status.lastSlowDown.reason }
          : null,
        slow_downs: status ? status.slowDowns : null,
        scheduled_until: status && status.scheduledUntil > now ? iso(status.scheduledUntil) : null,
      }
    }),
  )
  return { status: 'OK', items, pacer_unavailable: unavailable }
}
