import type { ProviderId } from '../lib/vocabulary'
import { d1Call as run } from './d1-call'
import { newFailedRequestId } from './failed-requests'

/** A `sending` claim as the cron sees it. */
export interface StuckClaim {
  tenant_id: string
  guid: string
  provider: ProviderId
  updated_at: number
  has_body: number
}

/**
 * Claims left in `sending` by a Worker that died mid-send (docs/guarantees.md). The cron marks each
 * `uncertain` and, when the event body was kept, queues a failed request due now: its retry asks the
 * provider before sending anything, so an uncertain send is never re-sent blindly.
 */
export function createStuckClaimStore(db: D1Database) {
  return {
    /** `sending` rows not touched since `before`, oldest first. */
    candidates: (before: number, limit: number) =>
      run('deliveries.stuckCandidates', async () => {
        const r = await db
          .prepare(
            `SELECT tenant_id, guid, provider, updated_at, event_body IS NOT NULL AS has_body FROM deliveries
             WHERE state = 'sending' AND updated_at < ? ORDER BY updated_at LIMIT ?`,
          )
          .bind(before, limit)
          .all<StuckClaim>()
        return r.results
      }),

    /**
     * Mark one claim `uncertain` if it is still `sending` and older than `cutoff`; queue its retry in the
     * same transaction (a no-op when the row changed meanwhile or has no body). Returns whether it was
     * marked.
     */
    async markUncertain(c: StuckClaim, cutoff: number, now: number, meta: Record<string, unknown>) {
      const detail = JSON.stringify({
        state: 'uncertain',
        at: new Date(now).toISOString(),
        detail:
          'claim older than its lease: the send never finished; the provider is asked before any re-send',
      })
      const [marked] = await run('deliveries.markUncertain', () =>
        db.batch([
          db
            .prepare(
              `UPDATE deliveries SET state = 'uncertain', outcome_unknown = 1, updated_at = ?,
                 history = json_insert(history, '$[#]', json(?))
               WHERE tenant_id = ? AND guid = ? AND state = 'sending' AND updated_at < ?`,
            )
            .bind(now, detail, c.tenant_id, c.guid, cutoff),
          db
            .prepare(
              `INSERT INTO failed_requests (id, tenant_id, kind, guid, generated_timestamp, event_body, meta,
                 http_status, insert_ts, state, attempts, next_attempt_at, last_error, created_at, updated_at)
               SELECT ?, tenant_id, provider, guid, generated_timestamp, event_body, ?, NULL, ?, 'pending', 0, ?,
                 'send never finished (claim abandoned)', ?, ?
               FROM deliveries WHERE tenant_id = ? AND guid = ? AND state = 'uncertain' AND updated_at = ?
                 AND event_body IS NOT NULL
               ON CONFLICT (tenant_id, kind, guid) DO NOTHING`,
            )
            .bind(
              newFailedRequestId(now),
              JSON.stringify(meta),
              new Date(now).toISOString(),
              now,
              now,
              now,
              c.tenant_id,
              c.guid,
              now,
            ),
        ]),
      )
      return (marked?.meta.changes ?? 0) === 1
    },
  }
}
