import { breakerName } from '../breaker/state'
import type { Deps } from '../deps'
import { describeError } from '../lib/log'

/** The window the breaker reads: messages sent in the last 15 minutes, at least 5 minutes ago. */
export const SLOW_WINDOW_MS = 15 * 60_000
export const RECEIPT_GRACE_MS = 5 * 60_000
/** More than this share of them without a receipt opens the provider's breaker. */
export const SLOW_SHARE = 0.15
/** Fewer messages than this say nothing about a provider. */
export const SLOW_MIN_SENDS = 20

/**
 * Slow delivery (docs/guarantees.md, "Failover"): for every tenant with `routes`, a provider that left
 * more than 15 % of the messages it took in the window without a delivery receipt after 5 minutes gets
 * its breaker opened, so new sends take the next route. Messages already sent are never sent again.
 * Runs with the cron; returns the breakers it opened.
 */
export async function checkSlowDelivery(deps: Deps): Promise<string[]> {
  const ns = deps.breakers
  if (!ns) return []
  const now = deps.now()
  const opened: string[] = []
  for (const id of deps.config.tenantIds()) {
    try {
      const tenant = deps.config.tenant(id)
      if (!tenant?.settings.routes) continue
      const rows = await deps.stores.deliveries.receiptLag(id, now - SLOW_WINDOW_MS, now - RECEIPT_GRACE_MS)
      for (const r of rows) {
        if (r.sent < SLOW_MIN_SENDS || r.no_receipt / r.sent <= SLOW_SHARE) continue
        const pct = Math.round((100 * r.no_receipt) / r.sent)
        const reason = `slow delivery: ${r.no_receipt} of ${r.sent} sends (${pct} %) without a receipt after 5 minutes`
        const view = await ns.get(ns.idFromName(breakerName(id, r.provider))).trip(reason, now)
        if (view.changed) {
          deps.log.warn('breaker changed', { tenant: id, provider: r.provider, state: view.state, reason })
          opened.push(`${id}/${r.provider}`)
        }
      }
    } catch (e) {
      deps.log.error('slow-delivery check failed', { tenant: id, ...describeError(e) })
    }
  }
  return opened
}
