import type { InboundState } from '../admin/operator-states'
import { StorageError } from '../lib/app-error'
import { newFailedRequestId } from './failed-requests'

export type InboundSource = 'scg' | 'twilio' | 'genesys'
export { INBOUND_STATES, type InboundState } from '../admin/operator-states'

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
  source: InboundSource
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
  source: InboundSource
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

async function run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (cause) {
    throw new StorageError(operation, cause)
  }
}

const SUMMARY =
  'id, tenant_id, source, route_tenant_id, event_key, type, state, message_id, attempts, created_at, updated_at'

/** `json_insert(tracking, '$[#]', json(?), …)`: appends every entry in one statement. */
const appendSql = (n: number) => `json_insert(tracking${", '$[#]', json(?)".repeat(n)})`

/**
 * D1 access for `inbound_events`. Statement builders let the webhook path write in the same batch as
 * its dedupe claim and outcome; every other method throws `StorageError` when D1 fails.
 */
export function createInboundEventStore(db: D1Database) {
  return {
    /**
     * Insert a delivery. With `dedupeKey`, its state is computed in the same transaction as the claim
     * that follows it in the batch: `duplicate` when the key was claimed before, else `failed` until
     * the outcome is written (a Worker that dies mid-way leaves an honest state).
     */
    insert(e: NewInboundEvent, now: number, state: InboundState | { dedupeSource: string }) {
      const id = newFailedRequestId(now)
      const stateSql =
        typeof state === 'string'
          ? '?'
          : `CASE WHEN EXISTS (SELECT 1 FROM webhook_events WHERE source = ? AND event_key = ?)
             THEN 'duplicate' ELSE 'failed' END`
      const stateParams = typeof state === 'string' ? [state] : [state.dedupeSource, e.eventKey]
      const statement = db
        .prepare(
          `INSERT INTO inbound_events (id, tenant_id, source, route_tenant_id, event_key, type, state, message_id,
             body, content_type, attempts, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ${stateSql}, ?, ?, ?, 1, ?, ?)`,
        )
        .bind(
          id,
          e.tenantId,
          e.source,
          e.routeTenantId,
          e.eventKey,
          e.type,
          ...stateParams,
          e.messageId,
          e.body,
          e.contentType,
          now,
          now,
        )
      return { id, statement }
    },

    /** Set the outcome of one processing and append its tracking entries; a replay also counts an attempt. */
    settle(id: string, state: InboundState, entries: TrackingEntry[], now: number, replay: boolean) {
      return db
        .prepare(
          `UPDATE inbound_events SET state = ?, updated_at = ?, attempts = attempts + ?,
             tracking = ${appendSql(entries.length)} WHERE id = ?`,
        )
        .bind(state, now, replay ? 1 : 0, ...entries.map((t) => JSON.stringify(t)), id)
    },

    exec: (operation: string, statements: D1PreparedStatement[]) =>
      run(operation, () => db.batch(statements)),

    get: (tenantId: string, id: string) =>
      run('inbound_events.get', () =>
        db
          .prepare('SELECT * FROM inbound_events WHERE tenant_id = ? AND id = ?')
          .bind(tenantId, id)
          .first<InboundEventRow>(),
      ),

    /** Newest first. `q` is an exact event key, provider message id, or the guid of one of our sends. */
    list: (tenantId: string, query: EventQuery) =>
      run('inbound_events.list', async () => {
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
      run('inbound_events.markHandled', async () => {
        const entry: TrackingEntry = {
          at: new Date(now).toISOString(),
          target: null,
          http_status: null,
          latency_ms: null,
          outcome: 'HANDLED',
        }
        const r = await db
          .prepare(
            `UPDATE inbound_events SET state = 'handled', updated_at = ?, tracking = ${appendSql(1)}
             WHERE tenant_id = ? AND id = ?`,
          )
          .bind(now, JSON.stringify(entry), tenantId, id)
          .run()
        return r.meta.changes === 1
      }),
  }
}

export type InboundEventStore = ReturnType<typeof createInboundEventStore>

export const parseTracking = (row: InboundEventRow): TrackingEntry[] => {
  try {
    const parsed: unknown = JSON.parse(row.tracking)
    return Array.isArray(parsed) ? (parsed as TrackingEntry[]) : []
  } catch {
    return []
  }
}
