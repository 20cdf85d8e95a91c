import type { INBOUND_EVENT_SOURCES, InboundState } from '../lib/vocabulary'
import { d1Call, type SqlCondition } from './d1-call'
import { newFailedRequestId } from './failed-requests'
import { batchAcross } from './shards'
import { storedList } from './stored-list'

export type InboundEventSource = (typeof INBOUND_EVENT_SOURCES)[number]
export type { InboundState }

/** One attempt to pass an event on (CI360 today), or one processing that made no attempt (`target` null). */
export interface TrackingEntry {
  at: string
  target: string | null
  http_status: number | null
  latency_ms: number | null
  outcome: string
  replay?: boolean
}

export interface InboundEventSummary {
  id: string
  tenant_id: string
  source: InboundEventSource
  route_tenant_id: string | null
  event_key: string
  type: string
  state: InboundState
  message_id: string | null
  attempts: number
  created_at: number
  updated_at: number
}

export interface InboundEventRow extends InboundEventSummary {
  body: string
  content_type: string | null
  tracking: string
}

export interface NewInboundEvent {
  tenantId: string
  source: InboundEventSource
  routeTenantId: string | null
  eventKey: string
  type: string
  messageId: string | null
  body: string
  contentType: string | null
}

export interface EventQuery {
  limit: number
  source?: string
  state?: InboundState
  type?: string
  /** Ids sort by received time, so a time range is an id range. */
  fromId?: string
  toId?: string
  q?: string
  before?: string
}

/** The first id of millisecond `ms` (ids are 13 hex digits of ms, then 16 random hex digits). */
export const idFloorOf = (ms: number) => `${ms.toString(16).padStart(13, '0')}${'0'.repeat(16)}`

const SUMMARY =
  'id, tenant_id, source, route_tenant_id, event_key, type, state, message_id, attempts, created_at, updated_at'

/** An entry for a processing that made no attempt: `outcome` is its answer (`IGNORED`, `HANDLED`…). */
export const entry = (now: number, outcome: string): TrackingEntry => ({
  at: new Date(now).toISOString(),
  target: null,
  http_status: null,
  latency_ms: null,
  outcome,
})

/** `json_insert(tracking, '$[#]', json(?), …)`: appends every entry in one statement. */
const appendSql = (n: number) => `json_insert(tracking${", '$[#]', json(?)".repeat(n)})`

/**
 * D1 access for `inbound_events`. Statement builders let the webhook path write in the same batch as
 * its dedupe claim and outcome; every other method throws `StorageError` when D1 fails.
 */
export function createInboundEventStore(db: D1Database, home: D1Database = db) {
  return {
    /**
     * Insert a delivery. `'claim'`: the statement runs right after the dedupe claim in the same batch,
     * and its state comes from that claim in the same transaction: `failed` until the outcome is written
     * (a Worker that dies mid-way leaves an honest state), or `duplicate`, with its tracking entry, when
     * the claim changed nothing (the key was claimed before).
     */
    insert(e: NewInboundEvent, now: number, state: InboundState | 'claim', tracking: TrackingEntry[] = []) {
      const id = newFailedRequestId(now)
      const duplicate = JSON.stringify(entry(now, 'DUPLICATE'))
      const [stateSql, trackingSql, extra] =
        state === 'claim'
          ? [
              "CASE WHEN changes() = 1 THEN 'failed' ELSE 'duplicate' END",
              "CASE WHEN changes() = 1 THEN '[]' ELSE json_array(json(?)) END",
              [duplicate],
            ]
          : ['?', '?', [JSON.stringify(tracking)]]
      const statement = db
        .prepare(
          `INSERT INTO inbound_events (id, tenant_id, source, route_tenant_id, event_key, type, state, tracking,
             message_id, body, content_type, attempts, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ${stateSql}, ${trackingSql}, ?, ?, ?, 1, ?, ?)`,
        )
        .bind(
          id,
          e.tenantId,
          e.source,
          e.routeTenantId,
          e.eventKey,
          e.type,
          ...(state === 'claim' ? extra : [state, ...extra]),
          e.messageId,
          e.body,
          e.contentType,
          now,
          now,
        )
      return { id, statement }
    },

    /**
     * True, later in the claim's batch, when the row `id` was inserted by a claim that took its key: it
     * is `failed` until settled (a lost claim inserts it `duplicate`). Guards statements that must
     * apply only to the first delivery of a key.
     */
    claimedBy: (id: string): SqlCondition => ({
      sql: `EXISTS (SELECT 1 FROM inbound_events WHERE id = ? AND state = 'failed')`,
      params: [id],
    }),

    /** Set the outcome of one processing and append its tracking entries; a replay also counts an attempt. */
    settle(id: string, state: InboundState, entries: TrackingEntry[], now: number, replay: boolean) {
      return db
        .prepare(
          `UPDATE inbound_events SET state = ?, updated_at = ?, attempts = attempts + ?,
             tracking = ${appendSql(entries.length)} WHERE id = ?`,
        )
        .bind(state, now, replay ? 1 : 0, ...entries.map((t) => JSON.stringify(t)), id)
    },

    /**
     * A later attempt at a `queued` event (a retry of its `ci360_event` failed request, whose guid is
     * `<source>:<event key>`), appended to its tracking; the state follows the attempt.
     */
    trackRetry(tenantId: string, failedRequestGuid: string, state: InboundState, tracked: TrackingEntry) {
      const cut = failedRequestGuid.indexOf(':')
      return db
        .prepare(
          `UPDATE inbound_events SET state = ?, updated_at = ?, tracking = ${appendSql(1)}
           WHERE tenant_id = ? AND event_key = ? AND source = ? AND state = 'queued'`,
        )
        .bind(
          state,
          Date.parse(tracked.at),
          JSON.stringify(tracked),
          tenantId,
          failedRequestGuid.slice(cut + 1),
          failedRequestGuid.slice(0, Math.max(cut, 0)),
        )
    },

    exec: (operation: string, statements: D1PreparedStatement[]) =>
      d1Call(operation, () => batchAcross(db, home, statements)),

    get: (tenantId: string, id: string) =>
      d1Call('inbound_events.get', () =>
        db
          .prepare('SELECT * FROM inbound_events WHERE tenant_id = ? AND id = ?')
          .bind(tenantId, id)
          .first<InboundEventRow>(),
      ),

    /** Newest first. `q` is an exact event key, provider message id, or the guid of one of our sends. */
    list: (tenantId: string, query: EventQuery) =>
      d1Call('inbound_events.list', async () => {
        const where = ['tenant_id = ?']
        const params: unknown[] = [tenantId]
        const filter = (sql: string, ...values: unknown[]) => {
          where.push(sql)
          params.push(...values)
        }
        if (query.source) filter('source = ?', query.source)
        if (query.state) filter('state = ?', query.state)
        if (query.type) filter('type = ?', query.type)
        if (query.fromId) filter('id >= ?', query.fromId)
        if (query.toId) filter('id < ?', query.toId)
        if (query.before) filter('id < ?', query.before)
        if (query.q) {
          // One index lookup per meaning of q (a plain OR would walk all of the tenant's rows).
          filter(
            `id IN (SELECT id FROM inbound_events WHERE tenant_id = ? AND event_key = ?
               UNION ALL SELECT id FROM inbound_events WHERE tenant_id = ? AND message_id = ?
               UNION ALL SELECT e.id FROM deliveries d JOIN inbound_events e
                 ON e.tenant_id = d.tenant_id AND e.message_id = d.provider_message_id
                 WHERE d.tenant_id = ? AND d.guid = ?)`,
            ...[tenantId, query.q, tenantId, query.q, tenantId, query.q],
          )
        }
        const sql = `SELECT ${SUMMARY} FROM inbound_events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`
        const r = await db
          .prepare(sql)
          .bind(...params, query.limit)
          .all<InboundEventSummary>()
        return r.results
      }),

    /** Operator's "mark handled": kept for audit, with a tracking entry saying when. */
    markHandled: (tenantId: string, id: string, now: number) =>
      d1Call('inbound_events.markHandled', async () => {
        const r = await db
          .prepare(
            `UPDATE inbound_events SET state = 'handled', updated_at = ?, tracking = ${appendSql(1)}
             WHERE tenant_id = ? AND id = ?`,
          )
          .bind(now, JSON.stringify(entry(now, 'HANDLED')), tenantId, id)
          .run()
        return r.meta.changes === 1
      }),
  }
}

export type InboundEventStore = ReturnType<typeof createInboundEventStore>

export const parseTracking = (row: InboundEventRow): TrackingEntry[] =>
  storedList<TrackingEntry>(row.tracking)
