import type { ProviderId } from '../lib/vocabulary'
import { d1Call } from './d1-call'

/** Dedupe keys are namespaced by the provider that sent the webhook. */
export type WebhookSource = ProviderId

/**
 * Dedupe of webhook deliveries in D1 (never KV): SCG `event-id`, Twilio `MessageSid:MessageStatus`.
 * `claim` returns true for the first delivery of a key and false for a redelivery; `release` forgets
 * a key whose processing could not be made durable, so the provider's redelivery is processed again.
 * Both throw `StorageError` when D1 fails.
 */
export function createWebhookEventStore(db: D1Database) {
  return {
    /**
     * `also` runs in the same `batch()` (one transaction, one round trip) right after the claim; its
     * statements must apply only when the claim inserted (see `deliveries.providerStatus`).
     */
    async claim(
      source: WebhookSource,
      key: string,
      tenantId: string | null,
      now: number,
      also: D1PreparedStatement[] = [],
    ): Promise<boolean> {
      const insert = db
        .prepare(
          `INSERT INTO webhook_events (source, event_key, tenant_id, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (source, event_key) DO NOTHING`,
        )
        .bind(source, key, tenantId, now)
      const [r] = await d1Call('webhook_events.claim', () =>
        also.length ? db.batch([insert, ...also]) : insert.run().then((one) => [one]),
      )
      return r?.meta.changes === 1
    },

    /** Remember what the first delivery was answered with (shown to operators; not used for dedupe). */
    async setOutcome(source: WebhookSource, key: string, outcome: string): Promise<void> {
      await d1Call('webhook_events.setOutcome', () =>
        db
          .prepare('UPDATE webhook_events SET outcome = ? WHERE source = ? AND event_key = ?')
          .bind(outcome, source, key)
          .run(),
      )
    },

    async release(source: WebhookSource, key: string): Promise<void> {
      await d1Call('webhook_events.release', () =>
        db.prepare('DELETE FROM webhook_events WHERE source = ? AND event_key = ?').bind(source, key).run(),
      )
    },
  }
}

export type WebhookEventStore = ReturnType<typeof createWebhookEventStore>
