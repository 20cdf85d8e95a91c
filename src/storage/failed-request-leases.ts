import { d1Call as run } from './d1-call'
import type { FailedRequestRow, FailedRequestState } from './failed-requests'

/** The row's next state after one attempt; applied only by the holder of the lease. */
export interface Finish {
  state: FailedRequestState
  /** 1 when this attempt counts against `retry_max_attempts`, else 0. */
  addAttempts: 0 | 1
  nextAttemptAt: number | null
  /** Undefined keeps the stored value. */
  lastError?: string
  /** Undefined keeps the stored value; null records "no HTTP answer" (timeout, network). */
  httpStatus?: number | null
  /** Undefined keeps the stored value; set when quiet hours moved the deadline (`event_ttl` counts from it). */
  generatedTimestamp?: number
  now: number
}

/**
 * Leases on `failed_requests` rows: whoever holds an unexpired lease is the only one working on the
 * row. Claims are single `UPDATE … RETURNING` statements, so two overlapping cron runs (or a cron run
 * and an operator's retry) can never both get the same row.
 */
export function createLeaseStore(db: D1Database) {
  return {
    /**
     * Lease up to `limit` due rows (pending, `next_attempt_at <= now`, not leased), earliest due first.
     * Returns them sorted by `next_attempt_at`, then id.
     */
    async claimDue(now: number, leaseMs: number, token: string, limit: number): Promise<FailedRequestRow[]> {
      const due = `state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)`
      const result = await run('failed_requests.claimDue', () =>
        db
          .prepare(
            `UPDATE failed_requests SET lease_until = ?, lease_token = ?
             WHERE id IN (SELECT id FROM failed_requests WHERE ${due} ORDER BY next_attempt_at, id LIMIT ?)
               AND ${due}
             RETURNING *`,
          )
          .bind(now + leaseMs, token, now, now, limit, now, now)
          .all<FailedRequestRow>(),
      )
      return result.results.sort(
        (a, b) => (a.next_attempt_at ?? 0) - (b.next_attempt_at ?? 0) || (a.id < b.id ? -1 : 1),
      )
    },

    /**
     * Lease one row of a tenant for an operator's retry, whatever its `next_attempt_at`. `done` rows
     * are never leased (they were delivered). Null when the row is missing, done or leased by another.
     */
    claimOne: (tenantId: string, id: string, now: number, leaseMs: number, token: string) =>
      run('failed_requests.claimOne', () =>
        db
          .prepare(
            `UPDATE failed_requests SET lease_until = ?, lease_token = ?
             WHERE tenant_id = ? AND id = ? AND state <> 'done' AND (lease_until IS NULL OR lease_until < ?)
             RETURNING *`,
          )
          .bind(now + leaseMs, token, tenantId, id, now)
          .first<FailedRequestRow>(),
      ),

    /** Statement recording an attempt's result and releasing the lease; a no-op if the lease was lost. */
    finish(id: string, token: string, f: Finish): D1PreparedStatement {
      const keepError = f.lastError === undefined
      const keepStatus = f.httpStatus === undefined
      return db
        .prepare(
          `UPDATE failed_requests SET state = ?, attempts = attempts + ?, next_attempt_at = ?,
             last_error = CASE WHEN ? THEN last_error ELSE ? END,
             http_status = CASE WHEN ? THEN http_status ELSE ? END,
             generated_timestamp = COALESCE(?, generated_timestamp),
             lease_until = NULL, lease_token = NULL, updated_at = ?
           WHERE id = ? AND lease_token = ?`,
        )
        .bind(
          f.state,
          f.addAttempts,
          f.nextAttemptAt,
          keepError ? 1 : 0,
          f.lastError ?? null,
          keepStatus ? 1 : 0,
          f.httpStatus ?? null,
          f.generatedTimestamp ?? null,
          f.now,
          id,
          token,
        )
    },
  }
}

export type LeaseStore = ReturnType<typeof createLeaseStore>
