import { StorageError } from '../lib/app-error'
import type { ProviderId } from '../lib/vocabulary'
import { d1Call, newClaimToken } from './d1-call'
import { batchAcross, logicalShardOf, ownsShardSql } from './shards'

/** Dedupe keys are namespaced by the provider that sent the webhook. */
export type WebhookSource = ProviderId

/**
 * The stored `event_key`: the provider's key scoped by the tenant the event belongs to, so two tenants'
 * deliveries with the same id are both processed (docs/storage.md, "D1 table `webhook_events`").
 */
export const scopedEventKey = (tenantId: string, key: string) => `${tenantId}/${key}`

/**
 * Dedupe of webhook deliveries in D1 (never KV): SCG `event-id`, Twilio `MessageSid:MessageStatus`,
 * per tenant. `claim` returns true for the first delivery of a key and false for a redelivery;
 * `release` forgets a key whose processing could not be made durable, so the provider's redelivery is
 * processed again. Both throw `StorageError` when D1 fails.
 */
export function createWebhookEventStore(
  db: D1Database,
  home: D1Database = db,
  /** The key the webhook was routed by (docs/scaling.md); absent: the event key itself. */
  shardKey?: string,
) {
  const owns = ownsShardSql(db === home)
  return {
    /**
     * Claim a key for a tenant; `alongside` runs right after the claim in the same batch (one
     * transaction, no extra round trip) and may read the claim's `changes()`. A row of the same tenant
     * under the bare key (claimed before keys were scoped) also counts as a claim, so a redelivery across
     * the upgrade is still a duplicate; those rows age out with `retention_days`. The claim carries a
     * random token: a retry after a transient error first looks for its own token, so a first attempt
     * that committed but whose answer was lost counts as this request's claim (and its batch, already
     * applied, is not run again) instead of a duplicate (docs/storage.md, "Claim tokens").
     */
    async claim(
      source: WebhookSource,
      key: string,
      tenantId: string,
      now: number,
      alongside: D1PreparedStatement[] = [],
    ): Promise<boolean> {
      const scoped = scopedEventKey(tenantId, key)
      const token = newClaimToken()
      const logical = logicalShardOf(shardKey ?? key)
      const claim = db
        .prepare(
          `INSERT INTO webhook_events (source, event_key, tenant_id, created_at, claim_token) SELECT ?1, ?2, ?3, ?4, ?6
           WHERE NOT EXISTS (SELECT 1 FROM webhook_events WHERE source = ?1 AND event_key = ?5 AND tenant_id = ?3)
             AND ${owns.replace('?', '?7')}
           ON CONFLICT (source, event_key) DO NOTHING`,
        )
        .bind(source, scoped, tenantId, now, key, token, logical)
      const mine = db
        .prepare(
          'SELECT 1 AS mine FROM webhook_events WHERE source = ? AND event_key = ? AND claim_token = ?',
        )
        .bind(source, scoped, token)
      return d1Call('webhook_events.claim', async (attempt) => {
        if (attempt > 0 && (await mine.first()) !== null) return true
        const [r] = await batchAcross(db, home, [claim, ...alongside])
        if (r?.meta.changes === 1) return true
        // Not claimed: a redelivery, or a database that does not own the key's shard (docs/scaling.md).
        const owned = await db.prepare(`SELECT ${owns} AS owned`).bind(logical).first<{ owned: number }>()
        if (!owned?.owned) throw new StorageError('webhook_events.claim', new Error('shard not owned here'))
        return false
      })
    },

    /** Remember what the first delivery was answered with (shown to operators; not used for dedupe). */
    async setOutcome(
      source: WebhookSource,
      key: string,
      tenantId: string,
      outcome: string,
      alongside: D1PreparedStatement[] = [],
    ): Promise<void> {
      const update = db
        .prepare('UPDATE webhook_events SET outcome = ? WHERE source = ? AND event_key = ?')
        .bind(outcome, source, scopedEventKey(tenantId, key))
      await d1Call('webhook_events.setOutcome', () => batchAcross(db, home, [update, ...alongside]))
    },

    async release(source: WebhookSource, key: string, tenantId: string): Promise<void> {
      await d1Call('webhook_events.release', () =>
        db
          .prepare('DELETE FROM webhook_events WHERE source = ? AND event_key = ?')
          .bind(source, scopedEventKey(tenantId, key))
          .run(),
      )
    },
  }
}

export type WebhookEventStore = ReturnType<typeof createWebhookEventStore>
