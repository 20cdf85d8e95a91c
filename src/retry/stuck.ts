import type { RequestContext } from '../deps'
import { describeError } from '../lib/log'
import { claimLeaseMs } from '../outbound/pipeline'

/** The shortest lease a claim can have (`provider_timeout_ms` of 0): rows younger are never looked at. */
const MIN_LEASE_MS = 30_000
/** Claims settled per cron run; more wait for the next minute. */
const MAX_PER_RUN = 50

/**
 * A `sending` claim older than its lease belongs to a Worker that died mid-send: the message may or may
 * not have gone out. Mark it `uncertain` and queue its retry, which asks the provider first (found →
 * `sent`; not found → sent now, as any queued message). Without a stored event body it stays
 * `uncertain` for an operator (docs/guarantees.md). Returns how many were marked.
 */
export async function settleStuckClaims(ctx: RequestContext): Promise<number> {
  const { log } = ctx
  const store = ctx.stores.stuckClaims
  const now = ctx.now()
  const rows = await store.candidates(now - MIN_LEASE_MS, MAX_PER_RUN)
  let marked = 0
  for (const row of rows) {
    try {
      const tenant = ctx.config.tenant(row.tenant_id)
      if (!tenant) continue
      const cutoff = now - claimLeaseMs(tenant)
      if (row.updated_at >= cutoff) continue
      const origin = tenant.settings.public_base_url
      if (await store.markUncertain(row, cutoff, now, origin ? { origin } : {})) {
        marked++
        log.warn('abandoned send marked uncertain', {
          tenant: row.tenant_id,
          guid: row.guid,
          queued: row.has_body === 1,
        })
      }
    } catch (e) {
      log.error('abandoned send not settled', { tenant: row.tenant_id, guid: row.guid, ...describeError(e) })
    }
  }
  return marked
}
