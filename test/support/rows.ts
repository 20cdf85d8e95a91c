import { env } from 'cloudflare:workers'
import { createFailedRequestStore } from '../../src/storage/failed-requests'

/**
 * Stored rows, read (and, for set-up, written) by name instead of with SQL in each test file. Rows are
 * typed loosely: tests assert on their columns. Storage is shared by a file's tests, so readers take the
 * ids a test made.
 */

const db = () => env.DB
const first = (sql: string, ...params: unknown[]) =>
  db()
    .prepare(sql)
    .bind(...params)
    .first<any>()
const all = async (sql: string, ...params: unknown[]) =>
  (
    await db()
      .prepare(sql)
      .bind(...params)
      .all<any>()
  ).results

/** Tables the cron works on as a whole. */
export type Table = 'deliveries' | 'failed_requests' | 'webhook_events' | 'inbound_events' | 'bulk_jobs'

/** The column that names a row of each table in `keysOf`. */
const KEY_COLUMN: Record<Table, string> = {
  deliveries: 'guid',
  failed_requests: 'guid',
  webhook_events: 'event_key',
  inbound_events: 'event_key',
  bulk_jobs: 'job_id',
}

export const rows = {
  /** The delivery row of `guid` (of `tenantId` when given), or null. */
  delivery: (guid: string, tenantId?: string) =>
    tenantId === undefined
      ? first('SELECT * FROM deliveries WHERE guid = ?', guid)
      : first('SELECT * FROM deliveries WHERE tenant_id = ? AND guid = ?', tenantId, guid),

  /** The number of the tenant's delivery rows. */
  deliveryCount: async (tenantId: string) =>
    (await first('SELECT COUNT(*) AS n FROM deliveries WHERE tenant_id = ?', tenantId)).n as number,

  /** The tenant's sent deliveries with a provider id: how many, and how many distinct ids. */
  sentDeliveries: (tenantId: string) =>
    first(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT provider_message_id) AS ids FROM deliveries
       WHERE tenant_id = ? AND state = 'sent' AND provider_message_id IS NOT NULL`,
      tenantId,
    ) as Promise<{ n: number; ids: number }>,

  /** The failed request stored for `guid` (of `tenantId` when given), or null. */
  failedRequest: (guid: string, tenantId?: string) =>
    tenantId === undefined
      ? first('SELECT * FROM failed_requests WHERE guid = ?', guid)
      : first('SELECT * FROM failed_requests WHERE tenant_id = ? AND guid = ?', tenantId, guid),

  /** The first failed request of a kind (the only one, in tests that wipe the tables). */
  failedRequestOfKind: (kind: string) => first('SELECT * FROM failed_requests WHERE kind = ?', kind),

  /** The `ci360_event` failed request of an Event Manager event. */
  ci360EventFailure: (tenantId: string, eventId: string) =>
    first(
      `SELECT * FROM failed_requests WHERE tenant_id = ? AND kind = 'ci360_event' AND guid = ?`,
      tenantId,
      `scg:${eventId}`,
    ),

  /** Every failed request. */
  failedRequests: () => all('SELECT * FROM failed_requests'),

  /** The guids of these failed-request ids. */
  failedRequestGuids: async (ids: string[]) =>
    (
      await all(
        'SELECT guid FROM failed_requests WHERE id IN (SELECT value FROM json_each(?))',
        JSON.stringify(ids),
      )
    ).map((r) => r.guid as string),

  /** Failed requests per state: how many, and their attempts summed. */
  failedRequestsByState: () =>
    all(
      'SELECT state, COUNT(*) AS n, SUM(attempts) AS attempts FROM failed_requests GROUP BY state',
    ) as Promise<{ state: string; n: number; attempts: number }[]>,

  /** The stored webhook delivery with this id, or null. */
  inboundEvent: (id: string) => first('SELECT * FROM inbound_events WHERE id = ?', id),

  /** The stored webhook delivery of `(tenant, source, key)`, or null. */
  inboundEventByKey: (tenantId: string, source: string, key: string) =>
    first(
      'SELECT * FROM inbound_events WHERE tenant_id = ? AND source = ? AND event_key = ?',
      tenantId,
      source,
      key,
    ),

  /** The tenant's stored webhook deliveries. */
  inboundEventsOf: (tenantId: string) => all('SELECT * FROM inbound_events WHERE tenant_id = ?', tenantId),

  /** The dedupe claim of an Event Manager event (`<tenant>/<eventId>`), or null. */
  scgWebhookEvent: (eventId: string) =>
    first(`SELECT * FROM webhook_events WHERE source = 'scg' AND event_key = tenant_id || '/' || ?`, eventId),

  /** The bulk job row, or null. */
  bulkJob: (jobId: string) => first('SELECT * FROM bulk_jobs WHERE job_id = ?', jobId),

  /** The sorted keys (guid, event key or job id) of every row of a table. */
  keysOf: async (table: Table) =>
    (await all(`SELECT ${KEY_COLUMN[table]} AS k FROM ${table}`)).map((r) => r.k as string).sort(),

  /** How many rows of a table were created at or after `since`. */
  countSince: async (table: Table, since: number) =>
    (await first(`SELECT COUNT(*) AS n FROM ${table} WHERE created_at >= ?`, since)).n as number,

  /** SQLite's plan for a query (index use is asserted on it). */
  queryPlan: async (sql: string, params: unknown[]) =>
    (await all(`EXPLAIN QUERY PLAN ${sql}`, ...params)) as { detail: string }[],
}

/** Set-up writes for states a test cannot reach through the routes in reasonable time. */
export const seed = {
  /** A pending `ci360_event` failed request (one failed attempt, HTTP 503), due at `at`. */
  ci360EventFailure: (tenantId: string, guid: string, eventBody: string, at: number) =>
    createFailedRequestStore(db())
      .insert({
        tenantId,
        kind: 'ci360_event',
        guid,
        generatedTimestamp: null,
        eventBody,
        httpStatus: 503,
        state: 'pending',
        attempts: 1,
        nextAttemptAt: at,
        lastError: 'unavailable HTTP 503',
        now: at,
      })
      .run(),

  /** Move a failed request's next attempt. */
  nextAttempt: (guid: string, at: number) =>
    db().prepare('UPDATE failed_requests SET next_attempt_at = ? WHERE guid = ?').bind(at, guid).run(),

  /** Hold a failed request's lease as a running cron (or operator action) would. */
  lease: (where: { guid: string } | { id: string }, until: number, token: string) =>
    'guid' in where
      ? db()
          .prepare('UPDATE failed_requests SET lease_until = ?, lease_token = ? WHERE guid = ?')
          .bind(until, token, where.guid)
          .run()
      : db()
          .prepare('UPDATE failed_requests SET lease_until = ?, lease_token = ? WHERE id = ?')
          .bind(until, token, where.id)
          .run(),

  /** A finished Event Manager claim, as an earlier delivery would leave it. */
  scgWebhookClaim: (eventKey: string, tenantId: string, at: number) =>
    db()
      .prepare(
        `INSERT INTO webhook_events (source, event_key, tenant_id, outcome, created_at) VALUES ('scg', ?, ?, 'OK', ?)`,
      )
      .bind(eventKey, tenantId, at)
      .run(),

  /**
   * One finished row in every table the cron purges, keyed `key` and created at `at`; `tenantId` null
   * leaves the webhook claim without a tenant (the other tables then take `fallbackTenant`).
   */
  agedRows: async (tenantId: string | null, fallbackTenant: string, key: string, at: number) => {
    const owner = tenantId ?? fallbackTenant
    await db().batch([
      db()
        .prepare(
          `INSERT INTO deliveries (tenant_id, guid, provider, identity_id, state, created_at, updated_at)
           VALUES (?, ?, 'scg', 'x', 'sent', ?, ?)`,
        )
        .bind(owner, key, at, at),
      db()
        .prepare(
          `INSERT INTO failed_requests (id, tenant_id, kind, guid, event_body, insert_ts, state, created_at, updated_at)
           VALUES (?, ?, 'scg', ?, '{}', '', 'done', ?, ?)`,
        )
        .bind(key, owner, key, at, at),
      db()
        .prepare(
          `INSERT INTO webhook_events (source, event_key, tenant_id, created_at) VALUES ('scg', ?, ?, ?)`,
        )
        .bind(key, tenantId, at),
      db()
        .prepare(
          `INSERT INTO inbound_events (id, tenant_id, source, event_key, type, state, body, created_at, updated_at)
           VALUES (?, ?, 'scg', ?, 'message_state_change', 'injected', '{}', ?, ?)`,
        )
        .bind(key, owner, key, at, at),
      db()
        .prepare(
          `INSERT INTO bulk_jobs (job_id, tenant_id, dedupe_key, state, upload_filename, bucket_name, created_at, updated_at)
           VALUES (?, ?, ?, 'done', 'f.csv', 'b', ?, ?)`,
        )
        .bind(key, owner, key, at, at),
    ])
  },
}

/** Forget every stored row: the cron works on the whole table, and D1 is shared by a file's tests. */
export async function wipeTables() {
  await db().batch([
    db().prepare('DELETE FROM failed_requests'),
    db().prepare('DELETE FROM deliveries'),
    db().prepare('DELETE FROM webhook_events'),
    db().prepare('DELETE FROM inbound_events'),
  ])
}
