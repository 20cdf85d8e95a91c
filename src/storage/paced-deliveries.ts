import type { DeliveryState, ProviderId } from '../lib/vocabulary'
import { d1Call as run, type SqlCondition } from './d1-call'
import { entry } from './history-entry'

/** An `accepted` row whose queue message was lost, as the cron re-queues it. */
export interface LostAccepted {
  tenant_id: string
  guid: string
  provider: ProviderId
  event_body: string | null
}

/**
 * The `deliveries` statements of paced sends (docs/pacing.md) and of the breaker's slow-delivery
 * reading (docs/guarantees.md), part of the delivery store (`deliveries.ts`).
 */
export function pacedDeliveries(db: D1Database) {
  return {
    /**
     * Paced sends (docs/pacing.md): take an `accepted` row for sending. Returns its guid and whether an
     * earlier send's outcome is unknown (RETURNING) when taken; `token` makes a retried batch whose first attempt committed find its own claim again.
     */
    takeAccepted(tenantId: string, guid: string, token: string, now: number): D1PreparedStatement {
      return db
        .prepare(
          `UPDATE deliveries SET state = 'sending', claim_token = ?1, updated_at = ?2,
             history = CASE WHEN claim_token IS ?1 THEN history ELSE json_insert(history, '$[#]', json(?3)) END
           WHERE tenant_id = ?4 AND guid = ?5 AND (state = 'accepted' OR (state = 'sending' AND claim_token IS ?1))
           RETURNING guid, outcome_unknown`,
        )
        .bind(token, now, entry('sending', now, 'taken from the send queue'), tenantId, guid)
    },

    /** An `accepted` row the pacer made wait: the cron takes it for lost only after `until`. */
    holdAccepted(tenantId: string, guid: string, until: number): D1PreparedStatement {
      return db
        .prepare(
          `UPDATE deliveries SET queued_until = ? WHERE tenant_id = ? AND guid = ? AND state = 'accepted'`,
        )
        .bind(until, tenantId, guid)
    },

    /**
     * Back on the send queue (docs/pacing.md, "Slow-down"): the provider did not take the message over
     * the sender's rate (a `sending` row) or failed it for that reason afterwards (a `sent` row).
     */
    backToQueue(
      tenantId: string,
      guid: string,
      c: { now: number; until: number; detail: string; attempted: boolean; from: DeliveryState[] },
      onlyIf?: SqlCondition,
    ): D1PreparedStatement {
      return db
        .prepare(
          `UPDATE deliveries SET state = 'accepted', queued_until = ?1, updated_at = ?2, attempts = attempts + ?3,
             last_error = ?4, provider_message_id = NULL, history = json_insert(history, '$[#]', json(?5))
           WHERE tenant_id = ?6 AND guid = ?7 AND state IN (${c.from.map(() => '?').join(', ')})${onlyIf ? ` AND ${onlyIf.sql}` : ''}`,
        )
        .bind(
          c.until,
          c.now,
          c.attempted ? 1 : 0,
          c.detail,
          entry('accepted', c.now, c.detail),
          tenantId,
          guid,
          ...c.from,
          ...(onlyIf?.params ?? []),
        )
    },

    /**
     * Per provider, the tenant's messages sent between `from` and `to` (ms, by creation) and how many of
     * them have no provider status yet: the breaker's slow-delivery reading (docs/guarantees.md).
     */
    receiptLag: (tenantId: string, from: number, to: number) =>
      run('deliveries.receiptLag', () =>
        db
          .prepare(
            `SELECT provider, COUNT(*) AS sent, SUM(provider_status IS NULL) AS no_receipt FROM deliveries
             WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND state = 'sent'
             GROUP BY provider`,
          )
          .bind(tenantId, from, to)
          .all<{ provider: ProviderId; sent: number; no_receipt: number }>()
          .then((r) => r.results),
      ),

    /** `accepted` rows past `queued_until` (their queue message was lost): oldest first. */
    lostAccepted: (now: number, limit: number) =>
      run('deliveries.lostAccepted', () =>
        db
          .prepare(
            `SELECT tenant_id, guid, provider, event_body FROM deliveries
             WHERE state = 'accepted' AND queued_until < ? ORDER BY queued_until LIMIT ?`,
          )
          .bind(now, limit)
          .all<LostAccepted>()
          .then((r) => r.results),
      ),
  }
}
