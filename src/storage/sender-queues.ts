import type { ProviderId } from '../lib/vocabulary'
import { d1Call } from './d1-call'

/** One sender's queue: its `accepted` rows (docs/console.md, "Senders"). */
export interface SenderQueue {
  provider: ProviderId
  sender: string | null
  queued: number
  /** `created_at` of the oldest accepted row (ms since the epoch). */
  oldestAt: number
}

interface Grouped {
  provider: ProviderId
  sender: string | null
  n: number
  oldest: number
}

/** The queues of a tenant's senders, as a store of `Deps.stores`. */
export function createSenderQueueReader(db: D1Database) {
  return {
    /**
     * Accepted rows per (provider, sender) of one tenant, in one query over the partial index
     * `deliveries_accepted_by_sender` (migration 0013): only queued rows are read.
     */
    async list(tenantId: string): Promise<SenderQueue[]> {
      const r = await d1Call('senderQueues.list', () =>
        db
          .prepare(
            `SELECT provider, sender, count(*) AS n, min(created_at) AS oldest FROM deliveries
             WHERE tenant_id = ? AND state = 'accepted' GROUP BY provider, sender`,
          )
          .bind(tenantId)
          .all<Grouped>(),
      )
      return r.results.map((g) => ({
        provider: g.provider,
        sender: g.sender,
        queued: g.n,
        oldestAt: g.oldest,
      }))
    },
  }
}
