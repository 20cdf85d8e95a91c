import { StorageError } from '../lib/app-error'

export type WebhookSource = 'scg' | 'twilio'

/**
 * Dedupe of webhook deliveries in D1 (never KV): SCG `event-id`, Twilio `MessageSid:MessageStatus`.
 * `claim` returns true for the first delivery of a key and false for a redelivery; `release` forgets
 * a key whose processing could not be made durable, so the provider's redelivery is processed again.
 * Both throw `StorageError` when D1 fails.
 */
export function createWebhookEventStore(db: D1Database) {
  return {
    /**
     * Claim a key, in one batch with `alongside` (statements that must commit with the claim). True for
     * the first delivery of a key, false for a redelivery.
     */
    async claim(
      source: WebhookSource,
      key: string,
      tenantId: string | null,
      now: number,
      alongside: D1PreparedStatement[] = [],
    ): Promise<boolean> {
      try {
        const claim = db
          .prepare(
            `INSERT INTO webhook_events (source, event_key, tenant_id, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (source, event_key) DO NOTHING`,
          )
          .bind(source, key, tenantId, now)
        if (alongside.length === 0) return (await claim.run()).meta.changes === 1
        const results = await db.batch([...alongside, claim])
        return results.at(-1)?.meta.changes === 1
      } catch (cause) {
        throw new StorageError('webhook_events.claim', cause)
      }
    },

    /** Remember what the first delivery was answered with (shown to operators; not used for dedupe). */
    async setOutcome(
      source: WebhookSource,
      key: string,
      outcome: string,
      alongside: D1PreparedStatement[] = [],
    ): Promise<void> {
      try {
        const update = db
          .prepare('UPDATE webhook_events SET outcome = ? WHERE source = ? AND event_key = ?')
          .bind(outcome, source, key)
        await (alongside.length === 0 ? update.run() : db.batch([update, ...alongside]))
      } catch (cause) {
        throw new StorageError('webhook_events.setOutcome', cause)
      }
    },

    async release(source: WebhookSource, key: string): Promise<void> {
      try {
        await db
          .prepare('DELETE FROM webhook_events WHERE source = ? AND event_key = ?')
          .bind(source, key)
          .run()
      } catch (cause) {
        throw new StorageError('webhook_events.release', cause)
      }
    },
  }
}

export type WebhookEventStore = ReturnType<typeof createWebhookEventStore>
