import type { ProviderId } from '../lib/vocabulary'
import { d1Call } from './d1-call'

/**
 * Provider statuses that are a receipt: the final ones of each provider (SCG upper case, Twilio lower
 * case, docs/protocols.md) and the read receipts that follow a delivery. Our own states never use these
 * spellings, so a history entry with one of them is the provider's.
 */
export const RECEIPT_STATUSES = [
  'DELIVERED',
  'FAILED',
  'EXPIRED',
  'DELETED',
  'READ',
  'delivered',
  'undelivered',
  'failed',
  'canceled',
  'partially_delivered',
  'read',
] as const
/** Receipts that say the message arrived. */
export const DELIVERED_STATUSES = ['DELIVERED', 'READ', 'delivered', 'read'] as const

/** One provider's sends in a window (docs/console.md, "Dashboard"). */
export interface ProviderHealthRow {
  provider: ProviderId
  /** Rows whose history reached `sent`. */
  sends: number
  /** Of those, rows whose provider status says delivered (or read). */
  delivered: number
  /** The median of (first receipt − first `sent`), seconds; null without a receipt. */
  median_seconds: number | null
  /** Sent more than five minutes before `now` and no receipt yet. */
  no_receipt: number
}

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ')
/** ms since the epoch → a Julian day, as SQLite's julianday() counts. */
const julian = (ms: number) => ms / 86_400_000 + 2_440_587.5

/** Per-provider send outcomes of one tenant, for the console's dashboard. */
export function createProviderHealthReader(db: D1Database) {
  return {
    /**
     * One query over the tenant's deliveries created in [from, to) (the `deliveries_by_tenant_created`
     * index): the send and receipt times come from each row's `history` (its first `sent` entry and its
     * first receipt), the median from a window over the receipt delays.
     */
    async summary(tenantId: string, from: number, to: number, now: number): Promise<ProviderHealthRow[]> {
      const r = await d1Call('providerHealth.summary', () =>
        db
          .prepare(
            `WITH times AS (
               SELECT d.provider, d.provider_status,
                 julianday((SELECT json_extract(h.value, '$.at') FROM json_each(d.history) h
                   WHERE json_extract(h.value, '$.state') = 'sent' ORDER BY h.key LIMIT 1)) AS sent_at,
                 julianday((SELECT json_extract(h.value, '$.at') FROM json_each(d.history) h
                   WHERE json_extract(h.value, '$.state') IN (${list(RECEIPT_STATUSES)})
                   ORDER BY h.key LIMIT 1)) AS receipt_at
               FROM deliveries d WHERE d.tenant_id = ?1 AND d.created_at >= ?2 AND d.created_at < ?3
             ),
             sent AS (SELECT * FROM times WHERE sent_at IS NOT NULL),
             delays AS (
               SELECT provider, max(0, receipt_at - sent_at) * 86400.0 AS secs,
                 row_number() OVER (PARTITION BY provider ORDER BY receipt_at - sent_at) AS n,
                 count(*) OVER (PARTITION BY provider) AS total
               FROM sent WHERE receipt_at IS NOT NULL
             ),
             medians AS (
               SELECT provider, avg(secs) AS median_seconds FROM delays
               WHERE n IN ((total + 1) / 2, (total + 2) / 2) GROUP BY provider
             )
             SELECT s.provider, count(*) AS sends,
               sum(coalesce(s.provider_status IN (${list(DELIVERED_STATUSES)}), 0)) AS delivered,
               m.median_seconds,
               sum(s.receipt_at IS NULL AND s.sent_at < ?4) AS no_receipt
             FROM sent s LEFT JOIN medians m ON m.provider = s.provider
             GROUP BY s.provider ORDER BY s.provider`,
          )
          .bind(tenantId, from, to, julian(now - 5 * 60_000))
          .all<ProviderHealthRow>(),
      )
      return r.results
    },
  }
}
