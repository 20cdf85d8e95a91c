import { hexEncode } from '../lib/crypto'
import type { FailedRequestKind, FailedRequestState } from '../lib/vocabulary'
import { d1Call } from './d1-call'

export type { FailedRequestKind, FailedRequestState }

export interface FailedRequestRow {
  id: string
  tenant_id: string
  kind: FailedRequestKind
  guid: string
  generated_timestamp: number | null
  event_body: string
  meta: string
  http_status: number | null
  insert_ts: string
  state: FailedRequestState
  attempts: number
  next_attempt_at: number | null
  last_error: string | null
  lease_until: number | null
  lease_token: string | null
  created_at: number
  updated_at: number
}

/** What the operator list shows: everything but the event body and internal bookkeeping. */
export type FailedRequestSummary = Pick<
  FailedRequestRow,
  | 'id'
  | 'guid'
  | 'kind'
  | 'state'
  | 'attempts'
  | 'http_status'
  | 'last_error'
  | 'next_attempt_at'
  | 'created_at'
  | 'updated_at'
>

export interface ListQuery {
  state?: FailedRequestState
  kind?: FailedRequestKind
  limit: number
  /** Only rows with an id below this one (the last id of the previous page). */
  before?: string
}

export interface NewFailedRequest {
  tenantId: string
  kind: FailedRequestKind
  guid: string
  generatedTimestamp: number | null
  eventBody: string
  meta?: Record<string, unknown>
  httpStatus: number | null
  state: FailedRequestState
  attempts: number
  nextAttemptAt: number | null
  lastError: string | null
  now: number
}

/**
 * Ids sort by creation time (for stable, newest-first pagination): 13 hex digits of ms, then random.
 */
export function newFailedRequestId(now: number): string {
  const random = crypto.getRandomValues(new Uint8Array(8))
  return `${now.toString(16).padStart(13, '0')}${hexEncode(random)}`
}

/** D1 access for `failed_requests`. Methods returning statements let callers batch them atomically. */
export function createFailedRequestStore(db: D1Database) {
  return {
    /** Insert statement; a second insert for the same (tenant, kind, guid) is a no-op. */
    insert(r: NewFailedRequest): D1PreparedStatement {
      return db
        .prepare(
          `INSERT INTO failed_requests (id, tenant_id, kind, guid, generated_timestamp, event_body, meta, http_status,
             insert_ts, state, attempts, next_attempt_at, last_error, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (tenant_id, kind, guid) DO NOTHING`,
        )
        .bind(
          newFailedRequestId(r.now),
          r.tenantId,
          r.kind,
          r.guid,
          r.generatedTimestamp,
          r.eventBody,
          JSON.stringify(r.meta ?? {}),
          r.httpStatus,
          new Date(r.now).toISOString(),
          r.state,
          r.attempts,
          r.nextAttemptAt,
          r.lastError,
          r.now,
          r.now,
        )
    },

    get: (tenantId: string, id: string): Promise<FailedRequestRow | null> =>
      d1Call('failed_requests.get', () =>
        db
          .prepare('SELECT * FROM failed_requests WHERE tenant_id = ? AND id = ?')
          .bind(tenantId, id)
          .first<FailedRequestRow>(),
      ),

    getByGuid: (tenantId: string, kind: FailedRequestKind, guid: string): Promise<FailedRequestRow | null> =>
      d1Call('failed_requests.getByGuid', () =>
        db
          .prepare('SELECT * FROM failed_requests WHERE tenant_id = ? AND kind = ? AND guid = ?')
          .bind(tenantId, kind, guid)
          .first<FailedRequestRow>(),
      ),

    /** One page of a tenant's rows, newest first (ids sort by creation time). */
    async list(tenantId: string, q: ListQuery): Promise<FailedRequestSummary[]> {
      const where = ['tenant_id = ?']
      const params: unknown[] = [tenantId]
      const filter = (clause: string, value: string | undefined) => {
        if (value === undefined) return
        where.push(clause)
        params.push(value)
      }
      filter('state = ?', q.state)
      filter('kind = ?', q.kind)
      filter('id < ?', q.before)
      const result = await d1Call('failed_requests.list', () =>
        db
          .prepare(
            `SELECT id, guid, kind, state, attempts, http_status, last_error, next_attempt_at, created_at, updated_at
             FROM failed_requests WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
          )
          .bind(...params, q.limit)
          .all<FailedRequestSummary>(),
      )
      return result.results
    },

    /**
     * Statement: a pending row whose request was just delivered another way (an operator's replay of
     * the webhook event) is `done`, so the cron does not send it again. A row a retry holds is left.
     */
    doneElsewhere: (tenantId: string, kind: FailedRequestKind, guid: string, detail: string, now: number) =>
      db
        .prepare(
          `UPDATE failed_requests SET state = 'done', next_attempt_at = NULL, last_error = ?, updated_at = ?
           WHERE tenant_id = ? AND kind = ? AND guid = ? AND state = 'pending'
             AND (lease_until IS NULL OR lease_until < ?)`,
        )
        .bind(detail, now, tenantId, kind, guid, now),

    /** Delete a row unless a retry holds it right now; returns the row as it was when deleted. */
    remove: (tenantId: string, id: string, now: number): Promise<FailedRequestRow | null> =>
      d1Call('failed_requests.remove', () =>
        db
          .prepare(
            `DELETE FROM failed_requests
             WHERE tenant_id = ? AND id = ? AND (lease_until IS NULL OR lease_until < ?)
             RETURNING *`,
          )
          .bind(tenantId, id, now)
          .first<FailedRequestRow>(),
      ),
  }
}

export type FailedRequestStore = ReturnType<typeof createFailedRequestStore>
