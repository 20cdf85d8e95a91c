import type { SuppressionChannel, SuppressionSource } from '../lib/vocabulary'
import { d1Call } from './d1-call'

/** One change of the list, for the audit and the CI360 contact-preference upload. */
export interface SuppressionChange {
  id: number
  tenant_id: string
  address: string
  channel: SuppressionChannel
  sender: string
  action: 'add' | 'remove'
  source: SuppressionSource
  actor: string
  detail: string | null
  at: number
}

/**
 * The reading side of `suppression_changes` (docs/storage.md): the audit of one tenant's list and the queue
 * of the CI360 contact-preference upload. The rows are written by the suppression store, in the batch of
 * the change they record.
 */
export function createSuppressionChangeReader(db: D1Database) {
  return {
    /** Changes of one tenant's list (newest first): the audit. */
    async changes(tenantId: string, limit: number, address?: string): Promise<SuppressionChange[]> {
      const r = await d1Call('suppressions.changes', () =>
        db
          .prepare(
            `SELECT id, tenant_id, address, channel, sender, action, source, actor, detail, at FROM suppression_changes
             WHERE tenant_id = ?1 AND (?2 IS NULL OR address = ?2) ORDER BY id DESC LIMIT ?3`,
          )
          .bind(tenantId, address ?? null, limit)
          .all<SuppressionChange>(),
      )
      return r.results
    },

    /** Changes CI360 has not been sent yet (contact-preference upload), oldest first. */
    async pendingUpload(tenantId: string, limit: number): Promise<SuppressionChange[]> {
      const r = await d1Call('suppressions.pendingUpload', () =>
        db
          .prepare(
            `SELECT id, tenant_id, address, channel, sender, action, source, actor, detail, at FROM suppression_changes
             WHERE ci360_uploaded_at IS NULL AND tenant_id = ? ORDER BY id LIMIT ?`,
          )
          .bind(tenantId, limit)
          .all<SuppressionChange>(),
      )
      return r.results
    },

    /** Mark changes as sent to CI360 (up to and including `lastId`). */
    async markUploaded(tenantId: string, lastId: number, now: number): Promise<void> {
      await d1Call('suppressions.markUploaded', () =>
        db
          .prepare(
            `UPDATE suppression_changes SET ci360_uploaded_at = ?
             WHERE tenant_id = ? AND id <= ? AND ci360_uploaded_at IS NULL`,
          )
          .bind(now, tenantId, lastId)
          .run(),
      )
    },
  }
}
